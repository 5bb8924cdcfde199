// The shape of a BitNet b1.58 model, read from its Hugging Face `config.json`.
//
// Sources:
// - transformers src/transformers/models/bitnet/configuration_bitnet.py (`BitNetConfig`,
//   model_type "bitnet": defaults rope_theta 500000.0, tie_word_embeddings False,
//   num_key_value_heads None -> num_attention_heads) and modeling_bitnet.py
//   (`BitNetAttention`: head_dim = getattr(config, "head_dim", hidden // heads); q, k, v, o
//   shapes; `attn_sub_norm` of hidden_size; `BitNetMLP`: gate, up, down and `ffn_sub_norm` of
//   intermediate_size; `BitNetDecoderLayer`: input_layernorm, post_attention_layernorm;
//   `BitNetModel`: embed_tokens, final norm).
// - transformers src/transformers/models/llama/configuration_llama.py (`LlamaConfig`,
//   model_type "llama", used by the 1bitLLM b1.58 reproductions: head_dim None ->
//   hidden // heads, num_key_value_heads None -> heads, tie_word_embeddings False,
//   rope_theta 10000.0). The 1bitLLM checkpoints run their own modeling_bitnet.py
//   (`BitnetForCausalLM`), which has the same linear layers as LLaMA plus the two sub-norms
//   (`inner_attn_ln` of hidden_size, `ffn_layernorm` of intermediate_size).
// - The example files and their provenance: examples/README.md.
//
// The reader is a small strict JSON parser of its own (like NMPSimulator's machine config
// reader) so that it can tell 1 from 1.0 and `true` from 1, report integers beyond Int as
// out of range, give the line and column of a syntax error, and never trap on any input.

/// One ternary linear layer of a decoder layer: `y = x W^T` with `W` of shape
/// `outFeatures x inFeatures` (torch's nn.Linear layout).
public struct LinearShape: Sendable, Equatable {
    /// The projection's name in the checkpoint: `q_proj`, `k_proj`, `v_proj`, `o_proj`,
    /// `gate_proj`, `up_proj`, `down_proj`.
    public var name: String
    public var outFeatures: Int
    public var inFeatures: Int

    public init(name: String, outFeatures: Int, inFeatures: Int) {
        self.name = name
        self.outFeatures = outFeatures
        self.inFeatures = inFeatures
    }

    /// `outFeatures * inFeatures` weights.
    public var parameters: Int { outFeatures * inFeatures }
}

/// The architecture of a BitNet b1.58 model: what the runtime needs from a Hugging Face
/// `config.json` (model_type "bitnet", e.g. microsoft/bitnet-b1.58-2B-4T, or "llama", the
/// 1bitLLM b1.58 reproductions).
///
/// Every decoder layer has seven ternary linear layers (`linearLayers`) and four RMSNorm
/// weight vectors (input, post-attention, attention sub-norm, FFN sub-norm); the model adds
/// the token embedding, a final RMSNorm and the LM head (the embedding itself when tied).
/// The counts assume that SubLN layout (all four example checkpoints have it); a plain LLaMA
/// has no sub-norms.
public struct ModelConfig: Sendable, Equatable {
    /// The FFN's gating nonlinearity, from `hidden_act`:
    /// `down(act(gate(x)) * up(x))`.
    public enum Activation: String, Sendable, Equatable, CaseIterable {
        /// Squared ReLU, `relu(x)^2` (BitNet b1.58 2B4T; HF ACT2FN "relu2").
        case relu2
        /// SiLU, `x * sigmoid(x)`: SwiGLU (LLaMA and the 1bitLLM reproductions; "silu").
        case silu
    }

    /// `model_type`: "bitnet" or "llama" for the known checkpoints (any string is accepted).
    public var modelType: String
    /// `hidden_size`: the residual stream width.
    public var hiddenSize: Int
    /// `intermediate_size`: the FFN width.
    public var intermediateSize: Int
    /// `num_hidden_layers`.
    public var layers: Int
    /// `num_attention_heads`.
    public var attentionHeads: Int
    /// `num_key_value_heads` (grouped-query attention); `attentionHeads` when absent or null.
    public var keyValueHeads: Int
    /// `head_dim`; `hiddenSize / attentionHeads` when absent or null.
    public var headDim: Int
    /// `vocab_size`.
    public var vocabSize: Int
    /// `hidden_act`.
    public var activation: Activation
    /// `rms_norm_eps`.
    public var rmsNormEps: Double
    /// `rope_theta` (or `rope_parameters.rope_theta`, the transformers v5 layout); when absent,
    /// the model class's default: 500000 for "bitnet" (`BitNetConfig`), 10000 otherwise
    /// (`LlamaConfig`).
    public var ropeTheta: Double
    /// `max_position_embeddings`: the context length.
    public var maxPositions: Int
    /// `tie_word_embeddings`: the LM head is the token embedding. Absent means false, the
    /// default of both `BitNetConfig` and `LlamaConfig` (PretrainedConfig's own default, true,
    /// is overridden by both).
    public var tiedEmbeddings: Bool

    /// A config from its values, unchecked (the parameter counts trap on overflow).
    public init(modelType: String, hiddenSize: Int, intermediateSize: Int, layers: Int,
                attentionHeads: Int, keyValueHeads: Int, headDim: Int, vocabSize: Int,
                activation: Activation, rmsNormEps: Double, ropeTheta: Double,
                maxPositions: Int, tiedEmbeddings: Bool) {
        self.modelType = modelType
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.layers = layers
        self.attentionHeads = attentionHeads
        self.keyValueHeads = keyValueHeads
        self.headDim = headDim
        self.vocabSize = vocabSize
        self.activation = activation
        self.rmsNormEps = rmsNormEps
        self.ropeTheta = ropeTheta
        self.maxPositions = maxPositions
        self.tiedEmbeddings = tiedEmbeddings
    }

    /// Reads a Hugging Face `config.json`.
    ///
    /// Required keys: `model_type`, `hidden_size`, `intermediate_size`, `num_hidden_layers`,
    /// `num_attention_heads`, `vocab_size`, `hidden_act`, `rms_norm_eps`,
    /// `max_position_embeddings`. Optional: `num_key_value_heads`, `head_dim` (absent or null
    /// take the defaults above), `rope_theta`, `tie_word_embeddings`. Every other key is
    /// ignored (HF configs carry many). Errors name the field: a missing required key, a
    /// value of the wrong type (a string or `true` for a number, 1.5 or 2048.0 for an
    /// integer), a number out of range, a non-positive size or epsilon, `hidden_size` not a
    /// multiple of `num_attention_heads` when `head_dim` is absent, `num_attention_heads` not
    /// a multiple of `num_key_value_heads`, an unsupported `hidden_act`, a key of those given
    /// twice; malformed JSON and a top level that is not an object have an empty field.
    /// Never traps.
    /// - Parameter source: names the document in errors, e.g. its file name.
    public init(json: [UInt8], source: String) throws(ModelConfigError) {
        var parser = ModelConfigJSONParser(bytes: json, source: source)
        let root = try parser.document()
        guard case .object(let members) = root else {
            throw ModelConfigError(source: source, field: "", message: "the top level must be a JSON object, found \(root.summary)")
        }
        let reader = try ModelConfigReader(members: members, source: source)

        let modelType = try reader.string("model_type")
        let hiddenSize = try reader.size("hidden_size")
        let intermediateSize = try reader.size("intermediate_size")
        let layers = try reader.size("num_hidden_layers")
        let attentionHeads = try reader.size("num_attention_heads")
        let keyValueHeads = try reader.size("num_key_value_heads", default: attentionHeads)
        if attentionHeads % keyValueHeads != 0 {
            throw reader.fail("num_key_value_heads", "num_attention_heads (\(attentionHeads)) must be a multiple of num_key_value_heads (got \(keyValueHeads))")
        }
        let headDim: Int
        if let given = try reader.optionalSize("head_dim") {
            headDim = given
        } else {
            if hiddenSize % attentionHeads != 0 {
                throw reader.fail("hidden_size", "must be a multiple of num_attention_heads (\(attentionHeads)) when head_dim is absent (got \(hiddenSize))")
            }
            headDim = hiddenSize / attentionHeads
        }
        let vocabSize = try reader.size("vocab_size")
        let act = try reader.string("hidden_act")
        guard let activation = Activation(rawValue: act) else {
            let supported = Activation.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
            throw reader.fail("hidden_act", "unsupported activation \"\(act)\" (supported: \(supported))")
        }
        let rmsNormEps = try reader.positiveDouble("rms_norm_eps")
        let ropeTheta = try reader.ropeTheta(default: modelType == "bitnet" ? 500_000 : 10_000)
        let maxPositions = try reader.size("max_position_embeddings")
        let tiedEmbeddings = try reader.bool("tie_word_embeddings", default: false)

        self.init(modelType: modelType, hiddenSize: hiddenSize, intermediateSize: intermediateSize,
                  layers: layers, attentionHeads: attentionHeads, keyValueHeads: keyValueHeads,
                  headDim: headDim, vocabSize: vocabSize, activation: activation,
                  rmsNormEps: rmsNormEps, ropeTheta: ropeTheta, maxPositions: maxPositions,
                  tiedEmbeddings: tiedEmbeddings)
        if let field = firstOverflowingField() {
            throw reader.fail(field, "too large: the model's parameter counts would overflow a 64-bit integer")
        }
    }

    // MARK: - Shapes and parameter counts

    /// The ternary linear layers of one decoder layer, in execution order, with their shapes
    /// (out, in): q, k, v, o (attention), gate, up, down (FFN).
    public var linearLayers: [LinearShape] {
        let queryWidth = attentionHeads * headDim
        let keyValueWidth = keyValueHeads * headDim
        return [
            LinearShape(name: "q_proj", outFeatures: queryWidth, inFeatures: hiddenSize),
            LinearShape(name: "k_proj", outFeatures: keyValueWidth, inFeatures: hiddenSize),
            LinearShape(name: "v_proj", outFeatures: keyValueWidth, inFeatures: hiddenSize),
            LinearShape(name: "o_proj", outFeatures: hiddenSize, inFeatures: queryWidth),
            LinearShape(name: "gate_proj", outFeatures: intermediateSize, inFeatures: hiddenSize),
            LinearShape(name: "up_proj", outFeatures: intermediateSize, inFeatures: hiddenSize),
            LinearShape(name: "down_proj", outFeatures: hiddenSize, inFeatures: intermediateSize),
        ]
    }

    /// Ternary weights in one decoder layer: the sum over `linearLayers`.
    public var ternaryParametersPerLayer: Int {
        linearLayers.reduce(0) { $0 + $1.parameters }
    }

    /// Ternary weights in the whole model: `layers * ternaryParametersPerLayer`.
    public var ternaryParameters: Int { layers * ternaryParametersPerLayer }

    /// The token embedding, `vocabSize x hiddenSize` (kept in full precision).
    public var embeddingParameters: Int { vocabSize * hiddenSize }

    /// The LM head's own weights, `vocabSize x hiddenSize` (full precision; HF's BitNet
    /// quantizer leaves `lm_head` unconverted); 0 when tied to the embedding.
    public var lmHeadParameters: Int { tiedEmbeddings ? 0 : vocabSize * hiddenSize }

    /// RMSNorm weights: per layer input_layernorm and post_attention_layernorm (hidden each),
    /// the attention sub-norm (hidden: HF's `attn_sub_norm`, 1bitLLM's `inner_attn_ln`) and
    /// the FFN sub-norm (intermediate: `ffn_sub_norm`, `ffn_layernorm`); plus the final norm.
    public var normParameters: Int { layers * (3 * hiddenSize + intermediateSize) + hiddenSize }

    /// Every parameter: ternary, embedding, LM head and norms.
    public var totalParameters: Int {
        ternaryParameters + embeddingParameters + lmHeadParameters + normParameters
    }

    /// The first field whose size makes a parameter count overflow Int, if any; checked
    /// arithmetic mirroring the properties above.
    private func firstOverflowingField() -> String? {
        func mul(_ a: Int, _ b: Int) -> Int? {
            let (p, o) = a.multipliedReportingOverflow(by: b)
            return o ? nil : p
        }
        func add(_ values: [Int?]) -> Int? {
            var sum = 0
            for value in values {
                guard let value else { return nil }
                let (s, o) = sum.addingReportingOverflow(value)
                if o { return nil }
                sum = s
            }
            return sum
        }
        guard let queryWidth = mul(attentionHeads, headDim), let keyValueWidth = mul(keyValueHeads, headDim) else {
            return "head_dim"
        }
        guard let attention = add([mul(queryWidth, hiddenSize), mul(keyValueWidth, hiddenSize),
                                   mul(keyValueWidth, hiddenSize), mul(hiddenSize, queryWidth)]) else {
            return "hidden_size"
        }
        guard let perLayer = add([attention, mul(3, hiddenSize).flatMap { mul($0, intermediateSize) }]) else {
            return "intermediate_size"
        }
        guard let embedding = mul(vocabSize, hiddenSize) else { return "vocab_size" }
        guard let ternary = mul(layers, perLayer),
              let norms = add([mul(3, hiddenSize), intermediateSize]).flatMap({ mul(layers, $0) }).flatMap({ add([$0, hiddenSize]) }),
              add([ternary, embedding, tiedEmbeddings ? 0 : embedding, norms]) != nil else {
            return "num_hidden_layers"
        }
        return nil
    }
}

// MARK: - Reading the keys

/// Typed access to the top-level members of a config, with errors that name the key.
private struct ModelConfigReader {
    let source: String
    let members: [String: ModelConfigJSON]

    /// The keys `ModelConfig` reads: one of them given twice is ambiguous (Python keeps the
    /// last), so it is an error; other duplicates are ignored with their keys.
    static let readKeys: Set<String> = [
        "model_type", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
        "num_key_value_heads", "head_dim", "vocab_size", "hidden_act", "rms_norm_eps", "rope_theta",
        "rope_parameters", "max_position_embeddings", "tie_word_embeddings",
    ]

    init(members list: [(String, ModelConfigJSON)], source: String) throws(ModelConfigError) {
        self.source = source
        var members: [String: ModelConfigJSON] = [:]
        for (key, value) in list {
            if members[key] != nil, Self.readKeys.contains(key) {
                throw ModelConfigError(source: source, field: key, message: "appears more than once")
            }
            members[key] = value
        }
        self.members = members
    }

    func fail(_ field: String, _ message: String) -> ModelConfigError {
        ModelConfigError(source: source, field: field, message: message)
    }

    private func required(_ key: String) throws(ModelConfigError) -> ModelConfigJSON {
        guard let value = members[key] else { throw fail(key, "missing required key") }
        return value
    }

    /// The value of an optional key; nil when absent or null (HF takes its default for both).
    private func optional(_ key: String) -> ModelConfigJSON? {
        guard let value = members[key] else { return nil }
        return value.isNull ? nil : value
    }

    func string(_ key: String) throws(ModelConfigError) -> String {
        let value = try required(key)
        guard case .string(let text) = value else { throw fail(key, "expected a string, found \(value.summary)") }
        return text
    }

    /// A positive integer: a JSON number written without fraction or exponent.
    private func positiveInt(_ key: String, _ value: ModelConfigJSON) throws(ModelConfigError) -> Int {
        guard case .number(let text) = value else { throw fail(key, "expected an integer, found \(value.summary)") }
        guard !text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) else {
            throw fail(key, "expected an integer, found \(text)")
        }
        guard let number = Int(text) else { throw fail(key, "\(text) is out of range") }
        guard number > 0 else { throw fail(key, "must be positive (got \(number))") }
        return number
    }

    func size(_ key: String) throws(ModelConfigError) -> Int {
        try positiveInt(key, try required(key))
    }

    func size(_ key: String, default fallback: Int) throws(ModelConfigError) -> Int {
        try optionalSize(key) ?? fallback
    }

    func optionalSize(_ key: String) throws(ModelConfigError) -> Int? {
        guard let value = optional(key) else { return nil }
        return try positiveInt(key, value)
    }

    /// A finite positive number (an integer literal is fine).
    private func positiveDouble(_ key: String, _ value: ModelConfigJSON) throws(ModelConfigError) -> Double {
        guard case .number(let text) = value else { throw fail(key, "expected a number, found \(value.summary)") }
        guard let number = Double(text), number.isFinite else { throw fail(key, "\(text) is out of range") }
        guard number > 0 else { throw fail(key, "must be positive (got \(text))") }
        return number
    }

    func positiveDouble(_ key: String) throws(ModelConfigError) -> Double {
        try positiveDouble(key, try required(key))
    }

    /// `rope_theta`, else `rope_parameters.rope_theta`, else the model class's default.
    func ropeTheta(default fallback: Double) throws(ModelConfigError) -> Double {
        if let value = optional("rope_theta") { return try positiveDouble("rope_theta", value) }
        if let parameters = optional("rope_parameters") {
            guard case .object(let list) = parameters else {
                throw fail("rope_parameters", "expected an object, found \(parameters.summary)")
            }
            if let value = list.last(where: { $0.0 == "rope_theta" })?.1, !value.isNull {
                return try positiveDouble("rope_parameters.rope_theta", value)
            }
        }
        return fallback
    }

    func bool(_ key: String, default fallback: Bool) throws(ModelConfigError) -> Bool {
        guard let value = optional(key) else { return fallback }
        guard case .bool(let flag) = value else { throw fail(key, "expected true or false, found \(value.summary)") }
        return flag
    }
}

// MARK: - A small JSON parser

/// A parsed JSON value. Numbers keep their literal text, so that the reader decides how to
/// convert them and can quote them exactly in errors.
private indirect enum ModelConfigJSON {
    case object([(String, ModelConfigJSON)])
    case array([ModelConfigJSON])
    case string(String)
    case number(String)
    case bool(Bool)
    case null

    var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// How an error quotes the value: short, and naming its type.
    var summary: String {
        switch self {
        case .object: return "an object"
        case .array: return "an array"
        case .string(let text): return "the string \"\(text.count > 40 ? String(text.prefix(40)) + "..." : text)\""
        case .number(let text): return text
        case .bool(let flag): return flag ? "true" : "false"
        case .null: return "null"
        }
    }
}

/// RFC 8259 JSON, strictly: no comments, no trailing commas, no NaN or Infinity; UTF-8 text
/// (a leading byte-order mark is skipped); nesting limited to `maxDepth` so that no input can
/// exhaust the stack. Errors give the line and column (1-based, columns in characters).
private struct ModelConfigJSONParser {
    let bytes: [UInt8]
    let source: String
    var index = 0
    var depth = 0
    static let maxDepth = 128

    init(bytes: [UInt8], source: String) {
        self.bytes = bytes
        self.source = source
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
    }

    mutating func document() throws(ModelConfigError) -> ModelConfigJSON {
        skipWhitespace()
        guard index < bytes.count else { throw error("expected a JSON object, found an empty document") }
        let value = try value()
        skipWhitespace()
        guard index == bytes.count else { throw error("unexpected \(found()) after the JSON value") }
        return value
    }

    private func error(_ message: String, at position: Int? = nil) -> ModelConfigError {
        let end = min(position ?? index, bytes.count)
        var line = 1
        var column = 1
        for byte in bytes[..<end] {
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {  // not a UTF-8 continuation byte
                column += 1
            }
        }
        return ModelConfigError(source: source, field: "", message: "malformed JSON at line \(line), column \(column): \(message)")
    }

    /// The next byte, described for an error message.
    private func found() -> String {
        guard index < bytes.count else { return "end of file" }
        let byte = bytes[index]
        if byte > 0x20 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
        return "byte 0x" + String(byte, radix: 16, uppercase: true)
    }

    private func at(_ character: Unicode.Scalar) -> Bool {
        index < bytes.count && bytes[index] == UInt8(character.value)
    }

    private func atDigit() -> Bool {
        index < bytes.count && bytes[index] >= UInt8(ascii: "0") && bytes[index] <= UInt8(ascii: "9")
    }

    private mutating func skipWhitespace() {
        while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
    }

    private mutating func value() throws(ModelConfigError) -> ModelConfigJSON {
        guard index < bytes.count else { throw error("expected a value, found end of file") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        default: throw error("expected a value, found \(found())")
        }
    }

    private mutating func literal(_ word: String) throws(ModelConfigError) {
        let expected = Array(word.utf8)
        guard bytes[index...].starts(with: expected) else { throw error("expected a value, found \(found())") }
        index += expected.count
    }

    private mutating func enter() throws(ModelConfigError) {
        depth += 1
        if depth > Self.maxDepth { throw error("nested more than \(Self.maxDepth) levels deep") }
        index += 1  // the opening bracket
        skipWhitespace()
    }

    private mutating func object() throws(ModelConfigError) -> ModelConfigJSON {
        try enter()
        var members: [(String, ModelConfigJSON)] = []
        if at("}") {
            index += 1
        } else {
            while true {
                skipWhitespace()
                guard at("\"") else { throw error("expected a key in double quotes, found \(found())") }
                let key = try string()
                skipWhitespace()
                guard at(":") else { throw error("expected ':' after the key, found \(found())") }
                index += 1
                skipWhitespace()
                members.append((key, try value()))
                skipWhitespace()
                if at(",") { index += 1; continue }
                if at("}") { index += 1; break }
                throw error("expected ',' or '}', found \(found())")
            }
        }
        depth -= 1
        return .object(members)
    }

    private mutating func array() throws(ModelConfigError) -> ModelConfigJSON {
        try enter()
        var items: [ModelConfigJSON] = []
        if at("]") {
            index += 1
        } else {
            while true {
                skipWhitespace()
                items.append(try value())
                skipWhitespace()
                if at(",") { index += 1; continue }
                if at("]") { index += 1; break }
                throw error("expected ',' or ']', found \(found())")
            }
        }
        depth -= 1
        return .array(items)
    }

    private mutating func number() throws(ModelConfigError) -> String {
        let start = index
        func digits() -> Int {
            let from = index
            while atDigit() { index += 1 }
            return index - from
        }
        if at("-") { index += 1 }
        guard atDigit() else { throw error("expected a digit, found \(found())") }
        if at("0") {
            index += 1
            if atDigit() { throw error("numbers must not have leading zeros") }
        } else {
            _ = digits()
        }
        if at(".") {
            index += 1
            guard digits() > 0 else { throw error("expected a digit after '.', found \(found())") }
        }
        if at("e") || at("E") {
            index += 1
            if at("+") || at("-") { index += 1 }
            guard digits() > 0 else { throw error("expected a digit in the exponent, found \(found())") }
        }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    private mutating func string() throws(ModelConfigError) -> String {
        let start = index
        index += 1  // the opening quote
        var utf8: [UInt8] = []
        while true {
            guard index < bytes.count else { throw error("unterminated string", at: start) }
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                let text = String(decoding: utf8, as: UTF8.self)
                guard text.utf8.elementsEqual(utf8) else { throw error("string is not valid UTF-8", at: start) }
                return text
            case UInt8(ascii: "\\"):
                guard index < bytes.count else { throw error("unterminated string", at: start) }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(escape)
                case UInt8(ascii: "b"): utf8.append(0x08)
                case UInt8(ascii: "f"): utf8.append(0x0C)
                case UInt8(ascii: "n"): utf8.append(0x0A)
                case UInt8(ascii: "r"): utf8.append(0x0D)
                case UInt8(ascii: "t"): utf8.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800...0xDBFF).contains(scalar) {
                        guard bytes[index...].starts(with: [UInt8(ascii: "\\"), UInt8(ascii: "u")]) else {
                            throw error("unpaired surrogate \\u\(String(scalar, radix: 16, uppercase: true))")
                        }
                        index += 2
                        let low = try hex4()
                        guard (0xDC00...0xDFFF).contains(low) else {
                            throw error("unpaired surrogate \\u\(String(scalar, radix: 16, uppercase: true))")
                        }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(scalar) {
                        throw error("unpaired surrogate \\u\(String(scalar, radix: 16, uppercase: true))")
                    }
                    guard let unicode = Unicode.Scalar(scalar) else { throw error("invalid \\u escape") }
                    utf8.append(contentsOf: Array(String(Character(unicode)).utf8))
                default:
                    throw error("invalid escape '\\\(Character(Unicode.Scalar(escape)))'", at: index - 2)
                }
            case 0x00..<0x20:
                throw error("control character 0x\(String(byte, radix: 16, uppercase: true)) in a string (write it as an escape)", at: index - 1)
            default:
                utf8.append(byte)
            }
        }
    }

    private mutating func hex4() throws(ModelConfigError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw error("expected 4 hex digits after \\u") }
        var result: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw error("expected 4 hex digits after \\u, found \(found())")
            }
            result = result << 4 | UInt32(digit)
            index += 1
        }
        return result
    }
}
