import Foundation
import NMPJSON

// Reading a Hugging Face tokenizer.json (the `tokenizers` library's serialization, as
// published with Llama 3 and microsoft/bitnet-b1.58-2B-4T). Only the configuration this
// tokenizer implements is accepted; anything else is an error naming the field, so that a
// file is never silently tokenized differently from Hugging Face:
//
//   normalizer      null (or absent)
//   pre_tokenizer   {"type": "Sequence", "pretokenizers": [
//                      {"type": "Split", "pattern": {"Regex": <the Llama 3 regex>}, "behavior": "Isolated", "invert": false},
//                      {"type": "ByteLevel", "add_prefix_space": false, "use_regex": false, ...}]}
//   model           {"type": "BPE", "vocab": {token: id}, "merges": ["a b", ...] or [["a", "b"], ...],
//                    "ignore_merges": bool, "dropout": null or 0,
//                    "continuing_subword_prefix" / "end_of_word_suffix": null or ""}
//                   (`unk_token`, `fuse_unk`, `byte_fallback` are ignored: every byte has a
//                   token in a byte-level vocabulary, so they never apply)
//   added_tokens    [{"id", "content", "special", "single_word": false, "lstrip": false, "rstrip": false, ...}]
//   post_processor  null, ByteLevel, TemplateProcessing whose `single` is [SpecialToken, $A]
//                   or [$A], or a Sequence of those: a leading SpecialToken is the BOS
//   decoder         null or ByteLevel
//
// Every added token (special or not) is matched literally in text and decoded as its own
// text, as Hugging Face does for tokens without normalization (there is no normalizer).
// tokenizer.json does not say which tokens end generation (that is in
// generation_config.json); `eosIDs` are the added tokens named <|end_of_text|>, <|eot_id|>,
// <|eom_id|>, <|endoftext|> or </s>.

extension BPETokenizer {
    /// The texts of added tokens taken as ends of generation when a file does not list them.
    static let endOfGenerationTexts: Set<String> = ["<|end_of_text|>", "<|eot_id|>", "<|eom_id|>", "<|endoftext|>", "</s>"]

    /// Reads a Hugging Face tokenizer.json (see `init(tokenizerJSON:source:)`).
    public static func load(tokenizerJSON path: String) throws(TokenizerError) -> BPETokenizer {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            let missing = !FileManager.default.fileExists(atPath: path)
            throw TokenizerError(file: path, message: missing ? "missing file" : "cannot be read")
        }
        return try BPETokenizer(tokenizerJSON: [UInt8](data), source: path)
    }

    /// A tokenizer from the bytes of a tokenizer.json; `source` names the file in errors.
    /// Throws a `TokenizerError` naming the JSON path at fault for malformed JSON, a wrong
    /// type, a configuration other than the one described above, a repeated token or id, an
    /// id beyond the vocabulary, a gap in the ids, or a merge naming an unknown token.
    public init(tokenizerJSON bytes: [UInt8], source: String) throws(TokenizerError) {
        let reader = TokenizerJSONReader(file: source)
        let json: StrictJSON
        do {
            // tokenizer.json nests about 8 levels deep (post_processor.processors[i].single[j]...).
            json = try StrictJSON.parse(bytes, maxDepth: 32)
        } catch {
            throw TokenizerError(file: source, message: "malformed JSON at line \(error.line), column \(error.column): \(error.message)")
        }
        guard case .object = json else {
            throw TokenizerError(file: source, message: "the document is \(json.summary), expected an object")
        }
        let root = try reader.object(json, "")
        try reader.checkNormalizer(root["normalizer"])
        try reader.checkPreTokenizer(root["pre_tokenizer"])
        try reader.checkDecoder(root["decoder"])
        guard let modelValue = root["model"] else { throw reader.fail("model", "is missing") }
        let model = try reader.object(modelValue, "model")
        try reader.checkModelOptions(model)

        // The vocabulary: model.vocab, then added_tokens (which may repeat vocab entries).
        guard let vocabValue = model["vocab"] else { throw reader.fail("model.vocab", "is missing") }
        guard case .object(let vocab) = vocabValue else {
            throw reader.fail("model.vocab", "is \(vocabValue.summary), expected an object of token -> id")
        }
        let added = try reader.addedTokens(root["added_tokens"])
        // No id can reach the number of entries unless some id is missing below it, so this
        // bounds every array sized here by the file's own contents.
        let capacity = vocab.count + added.count
        var slots = [String?](repeating: nil, count: capacity)
        var idOfToken: [String: Int] = [:]
        idOfToken.reserveCapacity(capacity)
        for (token, value) in vocab {
            let id = try reader.integer(value, "model.vocab", what: "the id of \(TokenizerError.quoted(token))")
            guard id >= 0, id < capacity else {
                throw reader.fail("model.vocab", "token \(TokenizerError.quoted(token)) has id \(id), outside 0..<\(capacity) (the vocabulary and added tokens hold \(capacity) entries, so the ids must run 0..<\(capacity) without gaps)")
            }
            if let other = slots[id] {
                throw reader.fail("model.vocab", "tokens \(TokenizerError.quoted(other)) and \(TokenizerError.quoted(token)) both have id \(id)")
            }
            if idOfToken.updateValue(id, forKey: token) != nil {
                throw reader.fail("model.vocab", "token \(TokenizerError.quoted(token)) appears twice")
            }
            slots[id] = token
        }
        for (index, token) in added.enumerated() {
            let field = "added_tokens[\(index)]"
            guard token.id >= 0, token.id < capacity else {
                throw reader.fail(field + ".id", "\(token.id) is outside 0..<\(capacity) (the vocabulary and added tokens hold \(capacity) entries)")
            }
            if let other = slots[token.id], other != token.content {
                throw reader.fail(field + ".id", "\(token.id) is \(TokenizerError.quoted(other)), but the added token is \(TokenizerError.quoted(token.content))")
            }
            if let other = idOfToken[token.content], other != token.id {
                throw reader.fail(field + ".content", "\(TokenizerError.quoted(token.content)) has id \(other), but the added token has id \(token.id)")
            }
            slots[token.id] = token.content
            idOfToken[token.content] = token.id
        }
        let size = (slots.lastIndex { $0 != nil } ?? -1) + 1
        var tokens: [String] = []
        tokens.reserveCapacity(size)
        for id in 0..<size {
            guard let token = slots[id] else {
                throw reader.fail("model.vocab", "no token has id \(id) (the ids must run 0..<\(size) without gaps)")
            }
            tokens.append(token)
        }

        guard let mergesValue = model["merges"] else { throw reader.fail("model.merges", "is missing") }
        let merges = try reader.merges(mergesValue)
        let ignoreMerges = try model["ignore_merges"].map { value throws(TokenizerError) in
            try reader.bool(value, "model.ignore_merges")
        } ?? false
        let bosID = try reader.postProcessorBOS(root["post_processor"])
        let specialIDs = added.map(\.id)
        let eosIDs = specialIDs.filter { Self.endOfGenerationTexts.contains(tokens[$0]) }
        var names = FieldNames(file: source, tokens: "model.vocab", merges: "model.merges", specialTokens: "added_tokens")
        names.bosID = "post_processor"
        names.eosIDs = "added_tokens"
        try self.init(tokens: tokens, merges: merges, specialTokens: Array(Set(specialIDs)).sorted(), bosID: bosID,
                      eosIDs: Array(Set(eosIDs)).sorted(), addsBOS: bosID != nil, ignoreMerges: ignoreMerges, names: names)
    }
}

/// Typed access to the parts of a tokenizer.json, with errors naming their JSON path.
private struct TokenizerJSONReader {
    let file: String

    func fail(_ field: String, _ message: String) -> TokenizerError {
        TokenizerError(file: file, field: field, message: message)
    }

    /// `path.key`, or `key` at the root.
    func path(_ parent: String, _ key: String) -> String { parent.isEmpty ? key : parent + "." + key }

    /// An object's members by key; a key given twice is an error (JSON leaves it undefined).
    func object(_ value: StrictJSON, _ field: String) throws(TokenizerError) -> [String: StrictJSON] {
        guard case .object(let members) = value else {
            throw fail(field, "is \(value.summary), expected an object")
        }
        var result: [String: StrictJSON] = [:]
        for (key, member) in members {
            if result.updateValue(member, forKey: key) != nil {
                throw fail(path(field, key), "appears twice")
            }
        }
        return result
    }

    func string(_ value: StrictJSON, _ field: String) throws(TokenizerError) -> String {
        guard case .string(let text) = value else { throw fail(field, "is \(value.summary), expected a string") }
        return text
    }

    func bool(_ value: StrictJSON, _ field: String) throws(TokenizerError) -> Bool {
        guard case .bool(let flag) = value else { throw fail(field, "is \(value.summary), expected true or false") }
        return flag
    }

    func integer(_ value: StrictJSON, _ field: String, what: String = "") throws(TokenizerError) -> Int {
        let subject = what.isEmpty ? "" : what + " "
        switch value.integer() {
        case .success(let number): return number
        case .failure(.notANumber): throw fail(field, "\(subject)is \(value.summary), expected an integer")
        case .failure(.notAnInteger(let text)): throw fail(field, "\(subject)is \(text), expected an integer")
        case .failure(.outOfRange(let text)): throw fail(field, "\(subject)\(text) is out of range")
        }
    }

    func array(_ value: StrictJSON, _ field: String) throws(TokenizerError) -> [StrictJSON] {
        guard case .array(let items) = value else { throw fail(field, "is \(value.summary), expected an array") }
        return items
    }

    /// The `type` of a component object.
    func type(_ object: [String: StrictJSON], _ field: String) throws(TokenizerError) -> String {
        guard let value = object["type"] else { throw fail(path(field, "type"), "is missing") }
        return try string(value, path(field, "type"))
    }

    /// Absent, null, or the expected literal value.
    func expect(_ object: [String: StrictJSON], _ key: String, _ field: String, bool expected: Bool, why: String) throws(TokenizerError) {
        guard let value = object[key], !value.isNull else { return }
        guard try bool(value, path(field, key)) == expected else {
            throw fail(path(field, key), "is \(!expected), which is not supported (\(why))")
        }
    }

    func checkNormalizer(_ value: StrictJSON?) throws(TokenizerError) {
        guard let value, !value.isNull else { return }
        let kind = (try? type(object(value, "normalizer"), "normalizer")) ?? value.summary
        throw fail("normalizer", "\(TokenizerError.quoted(kind)) is not supported (a Llama 3 tokenizer has none: null)")
    }

    func checkDecoder(_ value: StrictJSON?) throws(TokenizerError) {
        guard let value, !value.isNull else { return }
        let kind = try type(object(value, "decoder"), "decoder")
        guard kind == "ByteLevel" else {
            throw fail("decoder.type", "\(TokenizerError.quoted(kind)) is not supported (expected ByteLevel)")
        }
    }

    /// The pre-tokenizer must be Llama 3's: the split regex, isolated, then ByteLevel
    /// without its own regex or a prefix space.
    func checkPreTokenizer(_ value: StrictJSON?) throws(TokenizerError) {
        let field = "pre_tokenizer"
        guard let value, !value.isNull else {
            throw fail(field, "is missing; expected Llama 3's Sequence of Split (its regex) and ByteLevel")
        }
        let sequence = try object(value, field)
        guard try type(sequence, field) == "Sequence" else {
            throw fail(path(field, "type"), "\(TokenizerError.quoted(try type(sequence, field))) is not supported; expected Llama 3's Sequence of Split (its regex) and ByteLevel")
        }
        guard let listValue = sequence["pretokenizers"] else { throw fail(path(field, "pretokenizers"), "is missing") }
        let list = try array(listValue, path(field, "pretokenizers"))
        guard list.count == 2 else {
            throw fail(path(field, "pretokenizers"), "holds \(list.count) pre-tokenizers; expected 2 (Split, ByteLevel)")
        }
        let splitField = path(field, "pretokenizers[0]")
        let split = try object(list[0], splitField)
        guard try type(split, splitField) == "Split" else {
            throw fail(path(splitField, "type"), "\(TokenizerError.quoted(try type(split, splitField))) is not supported (expected Split)")
        }
        guard let patternValue = split["pattern"] else { throw fail(path(splitField, "pattern"), "is missing") }
        let pattern = try object(patternValue, path(splitField, "pattern"))
        guard let regexValue = pattern["Regex"] else {
            throw fail(path(splitField, "pattern"), "is not a {\"Regex\": ...} pattern (a String pattern is not supported)")
        }
        let regex = try string(regexValue, path(splitField, "pattern.Regex"))
        guard regex == Llama3PreTokenizer.pattern else {
            throw fail(path(splitField, "pattern.Regex"), "\(TokenizerError.quoted(regex)) is not the Llama 3 split regex, the only one supported")
        }
        guard let behaviorValue = split["behavior"] else { throw fail(path(splitField, "behavior"), "is missing") }
        let behavior = try string(behaviorValue, path(splitField, "behavior"))
        guard behavior == "Isolated" else {
            throw fail(path(splitField, "behavior"), "\(TokenizerError.quoted(behavior)) is not supported (expected Isolated)")
        }
        try expect(split, "invert", splitField, bool: false, why: "the matches are the pieces")

        let byteLevelField = path(field, "pretokenizers[1]")
        let byteLevel = try object(list[1], byteLevelField)
        guard try type(byteLevel, byteLevelField) == "ByteLevel" else {
            throw fail(path(byteLevelField, "type"), "\(TokenizerError.quoted(try type(byteLevel, byteLevelField))) is not supported (expected ByteLevel)")
        }
        try expect(byteLevel, "add_prefix_space", byteLevelField, bool: false, why: "Llama 3 adds no space before the text")
        // ByteLevel's use_regex defaults to true (the GPT-2 regex), so it must be present.
        guard let useRegex = byteLevel["use_regex"] else {
            throw fail(path(byteLevelField, "use_regex"), "is missing (it defaults to true, a second split by the GPT-2 regex, which is not supported)")
        }
        guard try !bool(useRegex, path(byteLevelField, "use_regex")) else {
            throw fail(path(byteLevelField, "use_regex"), "is true, which is not supported (the pieces are split by the Llama 3 regex only)")
        }
    }

    /// Model options other than the vocabulary and merges.
    func checkModelOptions(_ model: [String: StrictJSON]) throws(TokenizerError) {
        if let value = model["type"] {
            let kind = try string(value, "model.type")
            guard kind == "BPE" else { throw fail("model.type", "\(TokenizerError.quoted(kind)) is not supported (expected BPE)") }
        }
        for key in ["continuing_subword_prefix", "end_of_word_suffix"] {
            guard let value = model[key], !value.isNull else { continue }
            let text = try string(value, "model." + key)
            guard text.isEmpty else {
                throw fail("model." + key, "\(TokenizerError.quoted(text)) is not supported (byte-level BPE has none: null)")
            }
        }
        if let value = model["dropout"], !value.isNull {
            guard case .success(let dropout) = value.finiteDouble(), dropout == 0 else {
                throw fail("model.dropout", "is \(value.summary); only null or 0 is supported (dropout makes encoding random)")
            }
        }
    }

    /// `added_tokens`: id, content and whether special, for each.
    func addedTokens(_ value: StrictJSON?) throws(TokenizerError) -> [(id: Int, content: String, special: Bool)] {
        guard let value, !value.isNull else { return [] }
        var result: [(id: Int, content: String, special: Bool)] = []
        for (index, item) in try array(value, "added_tokens").enumerated() {
            let field = "added_tokens[\(index)]"
            let token = try object(item, field)
            guard let idValue = token["id"] else { throw fail(path(field, "id"), "is missing") }
            guard let contentValue = token["content"] else { throw fail(path(field, "content"), "is missing") }
            let id = try integer(idValue, path(field, "id"))
            let content = try string(contentValue, path(field, "content"))
            let special = try token["special"].map { value throws(TokenizerError) in try bool(value, path(field, "special")) } ?? false
            try expect(token, "single_word", field, bool: false, why: "tokens are matched anywhere in the text")
            try expect(token, "lstrip", field, bool: false, why: "no whitespace is taken with a token")
            try expect(token, "rstrip", field, bool: false, why: "no whitespace is taken with a token")
            result.append((id, content, special))
        }
        return result
    }

    /// `model.merges`: "a b" strings (one space; tokens hold none) or ["a", "b"] pairs.
    func merges(_ value: StrictJSON) throws(TokenizerError) -> [(String, String)] {
        let items = try array(value, "model.merges")
        var result: [(String, String)] = []
        result.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            let field = "model.merges[\(index)]"
            switch item {
            case .string(let text):
                let parts = text.split(separator: " ", omittingEmptySubsequences: false)
                guard parts.count == 2 else {
                    throw fail(field, "\(TokenizerError.quoted(text)) is not two tokens separated by one space")
                }
                result.append((String(parts[0]), String(parts[1])))
            case .array(let pair):
                guard pair.count == 2 else {
                    throw fail(field, "is an array of \(pair.count) items; expected two token strings")
                }
                guard case .string(let left) = pair[0], case .string(let right) = pair[1] else {
                    throw fail(field, "holds \(pair[0].summary) and \(pair[1].summary); expected two token strings")
                }
                result.append((left, right))
            default:
                throw fail(field, "is \(item.summary), expected \"a b\" or [\"a\", \"b\"]")
            }
        }
        return result
    }

    /// The BOS id the post-processor puts before the text, or nil.
    func postProcessorBOS(_ value: StrictJSON?) throws(TokenizerError) -> Int? {
        let field = "post_processor"
        guard let value, !value.isNull else { return nil }
        let processor = try object(value, field)
        switch try type(processor, field) {
        case "ByteLevel":
            return nil  // offsets only
        case "TemplateProcessing":
            return try templateBOS(processor, field)
        case "Sequence":
            guard let listValue = processor["processors"] else { throw fail(path(field, "processors"), "is missing") }
            var bos: Int?
            var templates = 0
            for (index, item) in try array(listValue, path(field, "processors")).enumerated() {
                let itemField = path(field, "processors[\(index)]")
                let step = try object(item, itemField)
                switch try type(step, itemField) {
                case "ByteLevel":
                    continue
                case "TemplateProcessing":
                    templates += 1
                    guard templates == 1 else { throw fail(itemField, "is a second TemplateProcessing (one is supported)") }
                    bos = try templateBOS(step, itemField)
                case let other:
                    throw fail(path(itemField, "type"), "\(TokenizerError.quoted(other)) is not supported (ByteLevel or TemplateProcessing)")
                }
            }
            return bos
        case let other:
            throw fail(path(field, "type"), "\(TokenizerError.quoted(other)) is not supported (ByteLevel, TemplateProcessing or a Sequence of them)")
        }
    }

    /// A TemplateProcessing's `single`: [$A] (nil) or [SpecialToken, $A] (that token's id).
    func templateBOS(_ processor: [String: StrictJSON], _ field: String) throws(TokenizerError) -> Int? {
        let singleField = path(field, "single")
        guard let singleValue = processor["single"] else { throw fail(singleField, "is missing") }
        let single = try array(singleValue, singleField)
        var pieces: [(kind: String, id: String)] = []
        for (index, item) in single.enumerated() {
            let itemField = "\(singleField)[\(index)]"
            let piece = try object(item, itemField)
            guard piece.count == 1, let (kind, body) = piece.first, kind == "SpecialToken" || kind == "Sequence" else {
                throw fail(itemField, "is not {\"SpecialToken\": ...} or {\"Sequence\": ...}")
            }
            let bodyObject = try object(body, path(itemField, kind))
            guard let idValue = bodyObject["id"] else { throw fail(path(itemField, kind + ".id"), "is missing") }
            pieces.append((kind, try string(idValue, path(itemField, kind + ".id"))))
        }
        let shape = pieces.map(\.kind)
        guard shape == ["Sequence"] || shape == ["SpecialToken", "Sequence"], pieces.last?.id == "A" else {
            throw fail(singleField, "is [\(shape.joined(separator: ", "))]; only [SpecialToken, Sequence A] (a BOS before the text) or [Sequence A] is supported")
        }
        guard shape.count == 2 else { return nil }
        let name = pieces[0].id
        let tokensField = path(field, "special_tokens")
        guard let tokensValue = processor["special_tokens"] else { throw fail(tokensField, "is missing") }
        let specialTokens = try object(tokensValue, tokensField)
        guard let entryValue = specialTokens[name] else {
            throw fail(tokensField, "has no entry for \(TokenizerError.quoted(name)), which `single` names")
        }
        let entryField = path(tokensField, name)
        let entry = try object(entryValue, entryField)
        guard let idsValue = entry["ids"] else { throw fail(path(entryField, "ids"), "is missing") }
        let ids = try array(idsValue, path(entryField, "ids"))
        guard ids.count == 1 else {
            throw fail(path(entryField, "ids"), "holds \(ids.count) ids; one BOS token is supported")
        }
        return try integer(ids[0], path(entryField, "ids[0]"))
    }
}
