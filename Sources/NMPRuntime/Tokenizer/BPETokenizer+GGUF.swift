// Reading the tokenizer a GGUF file carries in its metadata, under the keys llama.cpp's
// converter (convert_hf_to_gguf.py, gguf-py `GGUFWriter.add_token_*`) writes and
// llama.cpp (src/llama-vocab.cpp, `llama_vocab::impl::load`) reads:
//
//   tokenizer.ggml.model           string   "gpt2" = byte-level BPE (the only one supported;
//                                           "llama" is SentencePiece, refused by name)
//   tokenizer.ggml.pre             string   the pre-tokenizer: one of llama.cpp's names for
//                                           LLAMA_VOCAB_PRE_TYPE_LLAMA3 (llama-bpe, llama3,
//                                           llama-v3, falcon3, falcon-h1, pixtral, midm-2.0,
//                                           lfm2, jina-v5-nano); all use the Llama 3 split
//                                           regex, and llama.cpp gives them ignore_merges and
//                                           add_bos. Others ("default" is GPT-2's regex, and a
//                                           missing key means "default") are refused: their
//                                           regexes differ and would tokenize differently.
//   tokenizer.ggml.tokens          [string] the tokens by id, byte-level
//   tokenizer.ggml.token_type      [int32]  optional: 1 normal, 2 unknown, 3 control,
//                                           4 user-defined, 5 unused, 6 byte; 3 and 4 are
//                                           the special tokens (matched literally in text,
//                                           as llama.cpp does when parsing specials)
//   tokenizer.ggml.merges          [string] "a b", ranked by position
//   tokenizer.ggml.bos_token_id    uint32   optional
//   tokenizer.ggml.eos_token_id,
//   tokenizer.ggml.eot_token_id,
//   tokenizer.ggml.eom_token_id    uint32   optional: the ends of generation, with any special
//                                           token named <|end_of_text|>, <|eot_id|>,
//                                           <|eom_id|>, <|endoftext|> or </s> (llama.cpp
//                                           also recognises end-of-generation tokens by text)
//   tokenizer.ggml.add_bos_token   bool     optional; true when absent (llama.cpp's default
//                                           for the llama3 pre-tokenizers)

extension BPETokenizer {
    /// llama.cpp's `tokenizer.ggml.pre` names that select the Llama 3 pre-tokenizer.
    public static let llama3PreTokenizerNames: Set<String> = [
        "llama-bpe", "llama3", "llama-v3", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2", "jina-v5-nano",
    ]

    /// The tokenizer in a GGUF file's `tokenizer.ggml.*` metadata (see the keys above);
    /// nil when the file has no such key.
    ///
    /// Throws a `TokenizerError` naming the file and the key (with the element's index for
    /// arrays) for a missing or mistyped key, a tokenizer model other than "gpt2", a
    /// pre-tokenizer other than Llama 3's, a token list and token type list of different
    /// lengths, a repeated token, a merge that is not two tokens of the vocabulary, or an
    /// id outside the vocabulary.
    public init?(gguf file: GGUFFile) throws(TokenizerError) {
        guard file.metadataKeys.contains(where: { $0.hasPrefix("tokenizer.ggml.") }) else { return nil }
        func fail(_ key: String, _ message: String) -> TokenizerError {
            TokenizerError(file: file.path, field: key, message: message)
        }
        func typeName(_ value: GGUFValue) -> String {
            if case .array(let element, _) = value { return "an array of \(element)" }
            return "of type \(value.type)"
        }
        func string(_ key: String) throws(TokenizerError) -> String? {
            guard let value = file[key] else { return nil }
            guard let text = value.string else { throw fail(key, "is \(typeName(value)), expected a string") }
            return text
        }
        func strings(_ key: String) throws(TokenizerError) -> [String] {
            guard let value = file[key] else { throw fail(key, "is missing") }
            guard case .array(.string, let items) = value else { throw fail(key, "is \(typeName(value)), expected an array of strings") }
            return items.compactMap(\.string)
        }
        func id(_ key: String, count: Int) throws(TokenizerError) -> Int? {
            guard let value = file[key] else { return nil }
            guard let id = value.int else { throw fail(key, "is \(typeName(value)), expected an integer token id") }
            guard id >= 0, id < count else { throw fail(key, "\(id) is not a token (the vocabulary has ids 0..<\(count))") }
            return id
        }

        let modelKey = "tokenizer.ggml.model"
        guard let model = try string(modelKey) else { throw fail(modelKey, "is missing") }
        switch model {
        case "gpt2":
            break
        case "llama":
            throw fail(modelKey, "'llama' (a SentencePiece tokenizer) is not supported; only byte-level BPE ('gpt2') is")
        default:
            throw fail(modelKey, "\(TokenizerError.quoted(model)) is not supported; only byte-level BPE ('gpt2') is")
        }
        let preKey = "tokenizer.ggml.pre"
        guard let pre = try string(preKey) else {
            throw fail(preKey, "is missing (llama.cpp then uses its 'default' GPT-2 regex); only the Llama 3 pre-tokenizer is supported (llama-bpe, llama3, ...)")
        }
        guard Self.llama3PreTokenizerNames.contains(pre) else {
            throw fail(preKey, "\(TokenizerError.quoted(pre)) is not supported; only the Llama 3 split regex is (\(Self.llama3PreTokenizerNames.sorted().joined(separator: ", ")))")
        }

        let tokensKey = "tokenizer.ggml.tokens"
        let tokens = try strings(tokensKey)
        var special: [Int] = []
        let typesKey = "tokenizer.ggml.token_type"
        if let value = file[typesKey] {
            guard case .array(_, let items) = value else { throw fail(typesKey, "is \(typeName(value)), expected an array of integers") }
            guard items.count == tokens.count else {
                throw fail(typesKey, "holds \(items.count) types for the \(tokens.count) tokens of \(tokensKey)")
            }
            for (index, item) in items.enumerated() {
                guard let type = item.int, (0...6).contains(type) else {
                    throw fail("\(typesKey)[\(index)]", "is \(item.int.map(String.init) ?? typeName(item)), expected a token type 0...6")
                }
                if type == 3 || type == 4 { special.append(index) }  // control, user-defined
            }
        }

        let mergesKey = "tokenizer.ggml.merges"
        var merges: [(String, String)] = []
        for (index, text) in try strings(mergesKey).enumerated() {
            let parts = text.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2 else {
                throw fail("\(mergesKey)[\(index)]", "\(TokenizerError.quoted(text)) is not two tokens separated by one space")
            }
            merges.append((String(parts[0]), String(parts[1])))
        }

        let bosID = try id("tokenizer.ggml.bos_token_id", count: tokens.count)
        var eosIDs: [Int] = []
        for key in ["tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id"] {
            if let eos = try id(key, count: tokens.count), !eosIDs.contains(eos) { eosIDs.append(eos) }
        }
        for id in special where Self.endOfGenerationTexts.contains(tokens[id]) && !eosIDs.contains(id) { eosIDs.append(id) }
        let addKey = "tokenizer.ggml.add_bos_token"
        var addsBOS = true
        if let value = file[addKey] {
            guard case .bool(let flag) = value else { throw fail(addKey, "is \(typeName(value)), expected a bool") }
            addsBOS = flag
        }
        guard !addsBOS || bosID != nil else {
            throw fail("tokenizer.ggml.bos_token_id", "is missing, but a BOS token is to be added (\(addKey) is true or absent)")
        }
        let names = FieldNames(file: file.path, tokens: tokensKey, merges: mergesKey, specialTokens: typesKey,
                               bosID: "tokenizer.ggml.bos_token_id", eosIDs: "tokenizer.ggml.eos_token_id")
        try self.init(tokens: tokens, merges: merges, specialTokens: special, bosID: bosID, eosIDs: eosIDs,
                      addsBOS: addsBOS, ignoreMerges: true, names: names)
    }
}
