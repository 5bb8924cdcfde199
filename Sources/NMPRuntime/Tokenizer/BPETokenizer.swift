// A byte-level BPE tokenizer in the style of Llama 3 and BitNet b1.58 2B4T (whose
// tokenizer is Llama 3's): text -> special tokens cut out (SpecialTokenMatcher.swift) ->
// the Llama 3 split regex (Llama3PreTokenizer.swift) -> each piece's UTF-8 bytes as
// byte-level symbols (ByteLevel.swift) -> BPE merges (BPEMerges.swift) -> ids. Loaded from
// a Hugging Face tokenizer.json (BPETokenizer+TokenizerJSON.swift) or a GGUF file's
// tokenizer.ggml.* metadata (BPETokenizer+GGUF.swift). Decoding joins the tokens' bytes.

/// A byte-level BPE tokenizer with the Llama 3 pre-tokenizer.
///
/// Encoding matches Hugging Face `tokenizers` on a Llama 3 style tokenizer.json (no
/// normalizer; Split with the Llama 3 regex, isolated; ByteLevel without prefix space or
/// regex; BPE) and llama.cpp on the same vocabulary in GGUF (pre-tokenizer `llama-bpe`).
/// All tables are built once, by the initializer; `encode` and `decode` never trap.
public struct BPETokenizer: Sendable {
    /// The token strings by id, in byte-level form ("Ġthe" for " the").
    public let tokens: [String]
    /// The ids of the special tokens (control and added tokens; from a tokenizer.json every
    /// added token, from GGUF the control and user-defined ones), ascending: matched
    /// literally in text before pre-tokenization, decoded as their own text, and left out
    /// by `decode(_:skipSpecialTokens: true)`.
    public let specialTokenIDs: [Int]
    /// The beginning-of-text token, if the tokenizer names one.
    public let bosID: Int?
    /// The tokens that end generation (end of text, end of turn).
    public let eosIDs: [Int]
    /// Whether `encode` puts `bosID` first (when asked to add special tokens).
    public let addsBOS: Bool
    /// Whether a pre-tokenized word that is itself a token is emitted as that token without
    /// running the merges (Hugging Face `ignore_merges`, set by Llama 3's tokenizer.json;
    /// llama.cpp sets it for the llama3 pre-tokenizers).
    public let ignoresMerges: Bool

    /// Token string -> id.
    let idOfToken: [String: Int]
    /// The bytes each token stands for (special tokens: their UTF-8 text).
    let tokenBytes: [[UInt8]]
    /// Whether each token is special.
    let isSpecial: [Bool]
    /// The token of each single byte (its byte-level character), -1 when the vocabulary
    /// has none (such bytes are dropped, as Hugging Face does without an unknown token).
    let byteTokens: [Int32]
    let merges: BPEMerges
    let specials: SpecialTokenMatcher

    /// The number of tokens (ids are 0..<vocabularySize).
    public var vocabularySize: Int { tokens.count }

    /// A tokenizer from its parts.
    ///
    /// - Parameters:
    ///   - tokens: `tokens[id]` is the token's string in byte-level form (GPT-2
    ///     `bytes_to_unicode`); no two alike.
    ///   - merges: ranked pairs, in file order (rank = index); each names two tokens whose
    ///     concatenation is also a token; no pair twice.
    ///   - specialTokens: the ids of control and added tokens, matched literally in text
    ///     (leftmost, then longest) before pre-tokenization.
    ///   - bosID: the beginning-of-text token, if any.
    ///   - eosIDs: the tokens that end generation.
    ///   - addsBOS: whether `encode(_:addSpecialTokens: true)` starts with `bosID` (needs one).
    ///   - ignoreMerges: whether a word that is a token is emitted whole (see `ignoresMerges`).
    /// - Throws: `TokenizerError` naming the argument (`tokens[5]`, `merges[12]`,
    ///   `specialTokens[0]`, `bosID`, `eosIDs[1]`) for a repeated token, a merge naming or
    ///   making an unknown token, a repeated merge, or an id out of range.
    public init(tokens: [String], merges: [(String, String)], specialTokens: [Int], bosID: Int?, eosIDs: [Int],
                addsBOS: Bool, ignoreMerges: Bool) throws(TokenizerError) {
        try self.init(tokens: tokens, merges: merges, specialTokens: specialTokens, bosID: bosID, eosIDs: eosIDs,
                      addsBOS: addsBOS, ignoreMerges: ignoreMerges, names: FieldNames())
    }

    /// How errors of the shared initializer name the inputs: a loader passes the file and
    /// the JSON paths or GGUF keys its arrays came from (indices match).
    struct FieldNames {
        var file = ""
        var tokens = "tokens"
        var merges = "merges"
        var specialTokens = "specialTokens"
        var bosID = "bosID"
        var eosIDs = "eosIDs"
    }

    init(tokens: [String], merges mergeList: [(String, String)], specialTokens: [Int], bosID: Int?, eosIDs: [Int],
         addsBOS: Bool, ignoreMerges: Bool, names: FieldNames) throws(TokenizerError) {
        func fail(_ field: String, _ message: String) -> TokenizerError {
            TokenizerError(file: names.file, field: field, message: message)
        }
        // Ids and ranks are stored as 32-bit values (the merge table packs two in a key).
        guard tokens.count <= Int(Int32.max) else {
            throw fail(names.tokens, "\(tokens.count) tokens are more than the \(Int32.max) supported")
        }
        guard mergeList.count <= Int(Int32.max) else {
            throw fail(names.merges, "\(mergeList.count) merges are more than the \(Int32.max) supported")
        }
        var idOfToken: [String: Int] = [:]
        idOfToken.reserveCapacity(tokens.count)
        for (id, token) in tokens.enumerated() {
            if let first = idOfToken.updateValue(id, forKey: token) {
                throw fail("\(names.tokens)[\(id)]", "\(TokenizerError.quoted(token)) repeats token \(first)")
            }
        }
        func checkID(_ id: Int, _ field: String) throws(TokenizerError) {
            guard id >= 0, id < tokens.count else {
                throw fail(field, "id \(id) is not a token (the vocabulary has ids 0..<\(tokens.count))")
            }
        }
        var isSpecial = [Bool](repeating: false, count: tokens.count)
        for (index, id) in specialTokens.enumerated() {
            try checkID(id, "\(names.specialTokens)[\(index)]")
            isSpecial[id] = true
        }
        if let bosID { try checkID(bosID, names.bosID) }
        guard !addsBOS || bosID != nil else { throw fail(names.bosID, "a BOS token is to be added, but none is named") }
        for (index, id) in eosIDs.enumerated() { try checkID(id, "\(names.eosIDs)[\(index)]") }

        var table: [(left: Int32, right: Int32, merged: Int32)] = []
        table.reserveCapacity(mergeList.count)
        var rankOfPair: [UInt64: Int] = [:]
        rankOfPair.reserveCapacity(mergeList.count)
        for (rank, (left, right)) in mergeList.enumerated() {
            let field = "\(names.merges)[\(rank)]"
            guard let leftID = idOfToken[left] else {
                throw fail(field, "names \(TokenizerError.quoted(left)), which is not in the vocabulary")
            }
            guard let rightID = idOfToken[right] else {
                throw fail(field, "names \(TokenizerError.quoted(right)), which is not in the vocabulary")
            }
            guard let mergedID = idOfToken[left + right] else {
                throw fail(field, "makes \(TokenizerError.quoted(left + right)), which is not in the vocabulary")
            }
            let key = UInt64(leftID) << 32 | UInt64(rightID)
            if let first = rankOfPair.updateValue(rank, forKey: key) {
                throw fail(field, "repeats \(names.merges)[\(first)] (\(TokenizerError.quoted(left + " " + right)))")
            }
            table.append((Int32(leftID), Int32(rightID), Int32(mergedID)))
        }

        var byteTokens = [Int32](repeating: -1, count: 256)
        for byte in 0..<256 {
            if let id = idOfToken[String(Character(ByteLevel.characterOfByte[byte]))] { byteTokens[byte] = Int32(id) }
        }
        self.tokens = tokens
        self.idOfToken = idOfToken
        self.tokenBytes = tokens.indices.map { isSpecial[$0] ? Array(tokens[$0].utf8) : ByteLevel.bytes(of: tokens[$0]) }
        self.isSpecial = isSpecial
        self.specialTokenIDs = isSpecial.indices.filter { isSpecial[$0] }
        self.byteTokens = byteTokens
        self.merges = BPEMerges(table)
        self.specials = SpecialTokenMatcher(specialTokenIDs.map { (tokens[$0], $0) })
        self.bosID = bosID
        self.eosIDs = eosIDs
        self.addsBOS = addsBOS
        self.ignoresMerges = ignoreMerges
    }

    /// The id of a token string (byte-level form), if it is one.
    public func id(of token: String) -> Int? { idOfToken[token] }

    /// Whether `id` is a special token.
    public func isSpecialToken(_ id: Int) -> Bool { id >= 0 && id < isSpecial.count && isSpecial[id] }

    /// The raw bytes token `id` stands for: its byte-level characters mapped back to bytes
    /// (a token holding a character outside the byte-level alphabet: its UTF-8, as Hugging
    /// Face's ByteLevel decoder does), or for a special token its UTF-8 text, as llama.cpp
    /// prints control and user-defined tokens. (Hugging Face passes added tokens through the
    /// ByteLevel decoder too, so an added "Ġx" decodes to " x" there and "<|ß|>" to
    /// "<|\u{FFFD}|>"; printable ASCII such as "<|eot_id|>" decodes the same both ways.)
    /// Empty for an id out of range.
    public func bytes(of id: Int) -> [UInt8] {
        id >= 0 && id < tokenBytes.count ? tokenBytes[id] : []
    }

    /// The ids of `text`: special tokens found in it become their ids, the rest is
    /// pre-tokenized and merged; with `addSpecialTokens` and `addsBOS`, `bosID` comes first
    /// (as Hugging Face's post-processor adds it; special tokens in the text are recognised
    /// either way).
    public func encode(_ text: String, addSpecialTokens: Bool = true) -> [Int] {
        var ids: [Int] = []
        if addSpecialTokens, addsBOS, let bosID { ids.append(bosID) }
        let scalars = Array(text.unicodeScalars)
        guard !specials.isEmpty else {
            encodeOrdinary(scalars, 0..<scalars.count, into: &ids)
            return ids
        }
        var start = 0
        var index = 0
        while index < scalars.count {
            if let match = specials.longestMatch(in: scalars, at: index) {
                encodeOrdinary(scalars, start..<index, into: &ids)
                ids.append(match.id)
                index = match.end
                start = index
            } else {
                index += 1
            }
        }
        encodeOrdinary(scalars, start..<scalars.count, into: &ids)
        return ids
    }

    /// Encodes text without special tokens: pre-tokenize, then BPE each piece.
    private func encodeOrdinary(_ scalars: [Unicode.Scalar], _ range: Range<Int>, into ids: inout [Int]) {
        guard !range.isEmpty else { return }
        var bytes: [UInt8] = []
        var symbols: [Int32] = []
        for piece in Llama3PreTokenizer.pieces(scalars, in: range) {
            bytes.removeAll(keepingCapacity: true)
            for scalar in scalars[piece] { UTF8.encode(scalar) { bytes.append($0) } }
            if ignoresMerges, let id = idOfToken[ByteLevel.string(of: bytes)] {
                ids.append(id)
                continue
            }
            symbols.removeAll(keepingCapacity: true)
            for byte in bytes where byteTokens[Int(byte)] >= 0 { symbols.append(byteTokens[Int(byte)]) }
            for id in merges.apply(to: symbols) { ids.append(Int(id)) }
        }
    }

    /// The text of `ids`: their bytes joined, then decoded as UTF-8 with U+FFFD for each
    /// invalid sequence (as Hugging Face's ByteLevel decoder, `String::from_utf8_lossy`).
    /// Ids out of range are skipped; so are special tokens when `skipSpecialTokens`.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = false) -> String {
        var bytes: [UInt8] = []
        for id in ids where id >= 0 && id < tokenBytes.count {
            if skipSpecialTokens, isSpecial[id] { continue }
            bytes.append(contentsOf: tokenBytes[id])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
