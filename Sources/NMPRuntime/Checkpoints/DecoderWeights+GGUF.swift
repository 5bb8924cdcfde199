// Reading a decoder from a GGUF checkpoint as llama.cpp and bitnet.cpp write BitNet b1.58:
// the architecture's hyperparameters from the metadata, the tensors under ggml's names.
//
// Architectures (`general.architecture`):
// - "bitnet-b1.58": bitnet.cpp (microsoft/BitNet `utils/convert-hf-to-gguf-bitnet.py`,
//   `BitnetModel.model_arch = MODEL_ARCH.BITNET_B158`), the official 2B4T GGUF; its graph
//   (`build_bitnet_158` in bitnet.cpp's llama.cpp) uses squared ReLU (`LLM_FFN_RELU_SQR`).
//   "bitnet-25" shares that graph.
// - "bitnet": ggml-org/llama.cpp (`src/models/bitnet.cpp`): the FFN activation is
//   `bitnet.hidden_activation` when present, else SiLU (llama.cpp's default for older files).
// Both rotate with NeoX-style RoPE (pairs i and i + head_dim/2, `LLAMA_ROPE_TYPE_NEOX` for
// BITNET in `llama_model_rope_type`), which is HF's `rotate_half`: no q/k permutation.
//
// Keys (`src/llama-arch.cpp` LLM_KV_NAMES, `%s` = the architecture): `%s.embedding_length`,
// `%s.block_count`, `%s.feed_forward_length`, `%s.attention.head_count`,
// `%s.attention.head_count_kv` (default head_count), `%s.attention.layer_norm_rms_epsilon`,
// `%s.context_length`, `%s.rope.freq_base` (default 10000, llama.cpp's), optional
// `%s.attention.key_length` (head dim; default embedding_length / head_count),
// `%s.rope.dimension_count` (must equal the head dim: nmp rotates whole heads) and
// `%s.vocab_size` (must match `token_embd.weight`'s rows).

/// Hugging Face tensor names and the names llama.cpp gives them in a GGUF file
/// (`src/llama-arch.cpp`, LLM_TENSOR_NAMES for LLM_ARCH_BITNET and bitnet.cpp's
/// LLM_ARCH_BITNET_B158): the one table both directions use.
enum GGUFTensorNames {
    /// Per layer: the HF module under `model.layers.{i}.` and the ggml name under `blk.{i}.`.
    static let layer: [(hf: String, gguf: String)] = [
        ("input_layernorm", "attn_norm"),
        ("self_attn.q_proj", "attn_q"), ("self_attn.k_proj", "attn_k"), ("self_attn.v_proj", "attn_v"),
        ("self_attn.o_proj", "attn_output"), ("self_attn.attn_sub_norm", "attn_sub_norm"),
        ("post_attention_layernorm", "ffn_norm"),
        ("mlp.gate_proj", "ffn_gate"), ("mlp.up_proj", "ffn_up"), ("mlp.down_proj", "ffn_down"),
        ("mlp.ffn_sub_norm", "ffn_sub_norm"),
    ]
    /// Once per model.
    static let model: [(hf: String, gguf: String)] = [
        ("model.embed_tokens", "token_embd"), ("model.norm", "output_norm"), ("lm_head", "output"),
    ]

    /// The GGUF name of HF tensor `name` (`<module>.weight` or `<module>.weight_scale`);
    /// `name` itself when the table has no entry.
    static func gguf(_ name: String) -> String {
        for (hf, gguf) in model where name.hasPrefix(hf + ".") {
            return gguf + name.dropFirst(hf.count)
        }
        let prefix = "model.layers."
        guard name.hasPrefix(prefix) else { return name }
        let rest = name.dropFirst(prefix.count)
        guard let dot = rest.firstIndex(of: "."), let index = Int(rest[..<dot]) else { return name }
        let module = rest[rest.index(after: dot)...]
        for (hf, gguf) in layer where module.hasPrefix(hf + ".") {
            return "blk.\(index).\(gguf)" + module.dropFirst(hf.count)
        }
        return name
    }
}

/// The architectures nmp maps, with the FFN activation their graphs use.
enum GGUFArchitecture {
    static let supported = ["bitnet-b1.58", "bitnet-25", "bitnet"]
}

extension ModelConfig {
    /// The config a GGUF file's metadata describes (keys above). Throws a `GGUFError` naming
    /// the key: a missing or mistyped one, an architecture nmp does not map, sizes that do
    /// not agree.
    init(gguf file: GGUFFile) throws(GGUFError) {
        func fail(_ key: String, _ message: String) -> GGUFError { GGUFError(file: file.path, key: key, message: message) }
        guard let arch = file["general.architecture"]?.string else {
            throw fail("general.architecture", file["general.architecture"] == nil ? "missing (a GGUF model names its architecture)" : "expected a string")
        }
        guard GGUFArchitecture.supported.contains(arch) else {
            throw fail("general.architecture", "'\(GGUFError.clipped(arch))' is not a BitNet b1.58 architecture nmp maps (\(GGUFArchitecture.supported.joined(separator: ", ")))")
        }
        func integer(_ suffix: String, default value: Int? = nil) throws(GGUFError) -> Int {
            let key = "\(arch).\(suffix)"
            guard let raw = file[key] else {
                if let value { return value }
                throw fail(key, "missing")
            }
            guard let n = raw.int else { throw fail(key, "expected an unsigned integer, found a value of type \(raw.type)") }
            guard n >= 1, n <= 1 << 31 else { throw fail(key, "\(n) is out of range (1 ... 2^31)") }
            return n
        }
        func real(_ suffix: String, default value: Double? = nil) throws(GGUFError) -> Double {
            let key = "\(arch).\(suffix)"
            guard let raw = file[key] else {
                if let value { return value }
                throw fail(key, "missing")
            }
            guard let x = raw.double else { throw fail(key, "expected a float, found a value of type \(raw.type)") }
            guard x.isFinite, x > 0 else { throw fail(key, "\(x) must be positive and finite") }
            return x
        }
        let hidden = try integer("embedding_length")
        let layers = try integer("block_count")
        let ffn = try integer("feed_forward_length")
        let heads = try integer("attention.head_count")
        let kvHeads = try integer("attention.head_count_kv", default: heads)
        guard heads % kvHeads == 0 else {
            throw fail("\(arch).attention.head_count_kv", "\(kvHeads) does not divide attention.head_count \(heads)")
        }
        guard hidden % heads == 0 || file["\(arch).attention.key_length"] != nil else {
            throw fail("\(arch).embedding_length", "\(hidden) is not a multiple of attention.head_count \(heads)")
        }
        let headDim = try integer("attention.key_length", default: hidden / heads)
        let rotated = try integer("rope.dimension_count", default: headDim)
        guard rotated == headDim else {
            throw fail("\(arch).rope.dimension_count", "\(rotated) rotated dimensions of a \(headDim)-wide head: nmp rotates whole heads")
        }
        guard headDim % 2 == 0 else { throw fail("\(arch).attention.key_length", "head dim \(headDim) must be even for RoPE") }
        let eps = try real("attention.layer_norm_rms_epsilon")
        let theta = try real("rope.freq_base", default: 10_000)
        let context = try integer("context_length")
        let embedding = try file.tensor("token_embd.weight")
        guard embedding.shape.count == 2, embedding.shape[1] == hidden else {
            throw GGUFError(file: file.path, tensor: embedding.name, message: "shape \(embedding.shape), expected [vocab, \(hidden)] (embedding_length from the metadata)")
        }
        let vocab = embedding.shape[0]
        if file["\(arch).vocab_size"] != nil {
            let given = try integer("vocab_size")
            guard given == vocab else { throw fail("\(arch).vocab_size", "\(given), but token_embd.weight has \(vocab) rows") }
        }
        var activation = Activation.relu2
        if arch == "bitnet" {
            activation = .silu
            let key = "bitnet.hidden_activation"
            if let raw = file[key] {
                guard let name = raw.string else { throw fail(key, "expected a string") }
                guard let act = Activation(rawValue: name) else {
                    throw fail(key, "unsupported activation '\(GGUFError.clipped(name))' (supported: \(Activation.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
                activation = act
            }
        }
        let tied = (try? file.tensor("output.weight")) == nil
        self.init(modelType: arch, hiddenSize: hidden, intermediateSize: ffn, layers: layers, attentionHeads: heads,
                  keyValueHeads: kvHeads, headDim: headDim, vocabSize: vocab, activation: activation, rmsNormEps: eps,
                  ropeTheta: theta, maxPositions: context, tiedEmbeddings: tied)
        if let field = firstOverflowingField() {
            throw fail("\(arch).\(field)", "too large: the model's parameter counts would overflow a 64-bit integer")
        }
    }
}

extension DecoderWeights {
    /// The name llama.cpp gives Hugging Face tensor `name` in a GGUF file
    /// ("model.layers.3.mlp.up_proj.weight" is "blk.3.ffn_up.weight"); `name` itself when
    /// it has no GGUF name.
    public static func ggufName(_ name: String) -> String { GGUFTensorNames.gguf(name) }

    /// Loads a decoder from the GGUF file at `path` (memory-mapped: only the tensor being
    /// converted is read at a time), with the config its metadata describes
    /// (`ModelConfig(gguf:)`).
    ///
    /// Tensors (names from `GGUFTensorNames`):
    /// - `token_embd.weight` and, when present, `output.weight` (else the head is tied):
    ///   F16 (kept as an fp16 table, as bitnet.cpp writes it), BF16, or F32 whose values are
    ///   all exact in bf16 (else in fp16). Both tables in one format.
    /// - the norm weights: F32, F16 or BF16 values exact in bf16 (a BitNet checkpoint's
    ///   bf16 norms, which the converters write as F32).
    /// - each projection: TQ1_0 or TQ2_0 with one scale for the tensor (blocks of zeros
    ///   aside; a differing block is an error naming it), or I2_S with its tensor scale,
    ///   or F32 / F16 / BF16 holding -s, 0, +s for one s (mainline llama.cpp's converter
    ///   writes `weight_quant`'s output so). A +1 trit dequantizes to that scale, times
    ///   `<name>.scale` when the file has one (llama.cpp `build_lora_mm` multiplies by it).
    ///
    /// Throws a `DecoderLoadError` naming the file and the tensor (or the metadata key):
    /// a malformed file, a missing tensor, a type nmp does not read (named with the tensor),
    /// a shape that disagrees with the metadata, a value that breaks the rules above.
    public static func load(gguf path: String) throws(DecoderLoadError) -> DecoderWeights {
        let file: GGUFFile
        do { file = try GGUFFile(path: path) } catch { throw DecoderLoadError(error) }
        return try load(gguf: file)
    }

    /// Loads a decoder from an open GGUF file (see `load(gguf:)`).
    public static func load(gguf file: GGUFFile) throws(DecoderLoadError) -> DecoderWeights {
        try source(gguf: file).weights()
    }

    /// The weights of an open GGUF file, read when asked for: the config is read and checked
    /// now, the tensors piece by piece (see `load(gguf:)`).
    public static func source(gguf file: GGUFFile) throws(DecoderLoadError) -> DecoderWeightSource {
        let config: ModelConfig
        do { config = try ModelConfig(gguf: file) } catch { throw DecoderLoadError(error) }
        return DecoderWeightSource(config: config, reader: GGUFReader(file: file))
    }
}

extension DecoderLoadError {
    /// A GGUF reader's error as a loader error (the key goes into the message).
    init(_ error: GGUFError) {
        self.init(file: error.file, tensor: error.tensor, message: error.key.isEmpty ? error.message : "key '\(error.key)': \(error.message)")
    }
}

/// Reads and checks the tensors of a GGUF file against its config.
private struct GGUFReader: CheckpointTensors {
    let file: GGUFFile

    var source: String { file.path }
    func name(of tensor: String) -> String { GGUFTensorNames.gguf(tensor) }

    private func fail(_ tensor: String, _ message: String) -> DecoderLoadError {
        DecoderLoadError(file: file.path, tensor: tensor, message: message)
    }

    /// The info of `name`, its shape checked against `shape`.
    private func info(_ name: String, shape: [Int], from fields: String) throws(DecoderLoadError) -> GGUFTensorInfo {
        let info: GGUFTensorInfo
        do { info = try file.tensor(name) } catch { throw DecoderLoadError(error) }
        guard info.shape == shape else {
            throw fail(name, "shape \(info.shape) (ggml ne \(info.dimensions)), expected \(shape) (\(fields) from the metadata)")
        }
        return info
    }

    private func floats(_ name: String) throws(DecoderLoadError) -> [Float] {
        do { return try file.floats(name) } catch { throw DecoderLoadError(error) }
    }

    func bf16(_ tensor: String, shape: [Int], from fields: String) throws(DecoderLoadError) -> [UInt16] {
        let name = name(of: tensor)
        let info = try info(name, shape: shape, from: fields)
        guard [.f32, .f16, .bf16].contains(info.type) else { throw fail(name, "type \(info.type.name), expected F32, F16 or BF16 norm weights") }
        return try bf16Bits(try floats(name), tensor: name, shape: shape, type: info.type.name, file: file.path)
    }

    func table(_ tensor: String, shape: [Int], from fields: String) throws(DecoderLoadError) -> (bits: [UInt16], format: TableFormat) {
        let name = name(of: tensor)
        let info = try info(name, shape: shape, from: fields)
        let bits: [UInt16], format: TableFormat
        switch info.type {
        case .f16, .bf16:
            do { bits = try file.halves(name) } catch { throw DecoderLoadError(error) }
            format = info.type == .f16 ? .fp16 : .bf16
        case .f32:
            let values = try floats(name)
            if values.allSatisfy({ $0.bitPattern & 0xFFFF == 0 }) {
                (bits, format) = (values.map { UInt16($0.bitPattern >> 16) }, .bf16)
            } else if let bad = values.firstIndex(where: { Float(Float16($0)) != $0 }) {
                throw fail(name, "F32 value \(values[bad]) at index \(index(bad, shape)) is exact in neither bf16 nor fp16 (the machine's table formats)")
            } else {
                (bits, format) = (values.map { Float16($0).bitPattern }, .fp16)
            }
        default:
            throw fail(name, "type \(info.type.name) is not a table format nmp reads (F16, BF16, or F32 exact in one of them): the machine reads the embedding and head as bf16 or fp16")
        }
        // Non-finite: every exponent bit set (fp16 0x7C00, bf16 0x7F80), checked on the bits.
        let exponent: UInt16 = format == .fp16 ? 0x7C00 : 0x7F80
        if let bad = bits.firstIndex(where: { $0 & exponent == exponent }) {
            throw fail(name, "value \(format.float(bits[bad])) at index \(index(bad, shape)) is not finite")
        }
        return (bits, format)
    }

    func ternary(_ module: String, shape: LinearShape) throws(DecoderLoadError) -> TernaryWeights {
        let name = name(of: module + ".weight")
        let matrix = [shape.outFeatures, shape.inFeatures]
        let info = try info(name, shape: matrix, from: "\(shape.name) (out, in)")
        var trits: [Int8]
        var scale: Float
        switch info.type {
        case .tq1_0, .tq2_0, .i2_s:
            do {
                let decoded = try file.trits(name)
                scale = try decoded.uniformScale()
                trits = decoded.trits
            } catch {
                throw DecoderLoadError(error)
            }
        case .f32, .f16, .bf16:
            let values = try floats(name)
            scale = values.reduce(0) { max($0, abs($1)) }
            guard scale.isFinite else { throw fail(name, "holds a value that is not finite") }
            trits = [Int8](repeating: 0, count: values.count)
            for (i, value) in values.enumerated() {
                switch value {
                case scale where scale > 0: trits[i] = 1
                case -scale where scale > 0: trits[i] = -1
                case 0: trits[i] = 0
                default:
                    throw fail(name, "\(info.type.name) value \(value) at index \(index(i, matrix)) is not -s, 0 or +s for s = \(scale): a float projection must hold ternary weights times one scale")
                }
            }
        default:
            throw fail(name, "type \(info.type.name) is not a ternary format nmp reads (TQ1_0, TQ2_0, I2_S, or F32 / F16 / BF16 holding -s, 0, +s)")
        }
        // llama.cpp's optional per-tensor scale, multiplied into the product.
        let extra = String(name.dropLast(".weight".count)) + ".scale"
        if (try? file.tensor(extra)) != nil {
            let values = try floats(extra)
            guard values.count == 1, values[0].isFinite else { throw fail(extra, "expected one finite value, found \(values.count)") }
            scale *= values[0]
        }
        guard scale.isFinite else { throw fail(name, "the scale \(scale) is not finite") }
        return TernaryWeights(rows: shape.outFeatures, columns: shape.inFeatures, trits: trits, scale: scale)
    }
}
