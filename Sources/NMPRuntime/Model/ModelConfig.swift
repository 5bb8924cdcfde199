import NMPJSON
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
        let root: ModelConfigJSON
        do {
            root = try StrictJSON.parse(json, maxDepth: 128)
        } catch {
            throw ModelConfigError(source: source, field: "", message: "malformed JSON at line \(error.line), column \(error.column): \(error.message)")
        }
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
            throw reader.fail("hidden_act", "unsupported activation \"\(StrictJSON.shortened(act))\" (supported: \(supported))")
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
    func firstOverflowingField() -> String? {
        func mul(_ a: Int, _ b: Int) -> Int? { Checked.product([a, b]) }
        func add(_ values: [Int?]) -> Int? { Checked.sum(values) }
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

/// Parsed JSON, as the shared strict parser gives it.
private typealias ModelConfigJSON = StrictJSON

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
        let number: Int
        switch value.integer() {
        case .success(let result): number = result
        case .failure(.notANumber): throw fail(key, "expected an integer, found \(value.summary)")
        case .failure(.notAnInteger(let text)): throw fail(key, "expected an integer, found \(text)")
        case .failure(.outOfRange(let text)): throw fail(key, "\(text) is out of range")
        }
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
        let number: Double
        switch value.finiteDouble() {
        case .success(let result): number = result
        case .failure(.notANumber): throw fail(key, "expected a number, found \(value.summary)")
        case .failure(.notAnInteger(let text)), .failure(.outOfRange(let text)): throw fail(key, "\(text) is out of range")
        }
        guard number > 0 else { throw fail(key, "must be positive (got \(value.summary))") }
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
