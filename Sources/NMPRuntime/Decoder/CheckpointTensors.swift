/// Where a checkpoint loader reads tensors under their Hugging Face names: a directory of
/// `.npy` files, a set of `.safetensors` files or a GGUF file. `DecoderWeightSource` maps the
/// names to the decoder's weights once for every format.
protocol CheckpointTensors {
    /// A float tensor of `shape` as bf16 bits (exact), `fields` naming the config keys that
    /// give the shape (for errors).
    func bf16(_ tensor: String, shape: [Int], from fields: String) throws(DecoderLoadError) -> [UInt16]
    /// The file or directory read (for errors).
    var source: String { get }
    /// How the checkpoint names the tensor that Hugging Face names `tensor` (default: the same).
    func name(of tensor: String) -> String
    /// A ternary projection `<name>.weight` with its scale.
    func ternary(_ name: String, shape: LinearShape) throws(DecoderLoadError) -> TernaryWeights
    /// The embedding or LM head `[vocab, hidden]` as 16-bit patterns and their format
    /// (default: `bf16`'s, in bf16).
    func table(_ tensor: String, shape: [Int], from fields: String) throws(DecoderLoadError) -> (bits: [UInt16], format: TableFormat)
}

extension CheckpointTensors {
    func name(of tensor: String) -> String { tensor }

    /// `values` of `tensor` (of `shape`, stored as `type`, in `file`) as bf16 bit patterns:
    /// each must be finite and exact in bf16 (the checkpoints' dtype), else an error naming
    /// the first that is not, by index.
    func bf16Bits(_ values: [Float], tensor: String, shape: [Int], type: String, file: String) throws(DecoderLoadError) -> [UInt16] {
        var bits = [UInt16](repeating: 0, count: values.count)
        for (i, value) in values.enumerated() {
            guard value.isFinite, value.bitPattern & 0xFFFF == 0 else {
                throw DecoderLoadError(file: file, tensor: tensor, message: "value \(value) at index \(index(i, shape)) of type \(type) is "
                                       + (value.isFinite ? "not exactly representable in bf16 (the checkpoint's bf16 values)" : "not finite"))
            }
            bits[i] = UInt16(value.bitPattern >> 16)
        }
        return bits
    }

    func table(_ tensor: String, shape: [Int], from fields: String) throws(DecoderLoadError) -> (bits: [UInt16], format: TableFormat) {
        (try bf16(tensor, shape: shape, from: fields), .bf16)
    }

    /// `flat` as an index into `shape`, e.g. `[3, 17]`.
    func index(_ flat: Int, _ shape: [Int]) -> String {
        var rest = flat
        var parts = [Int](repeating: 0, count: shape.count)
        for axis in shape.indices.reversed() where shape[axis] > 0 {
            parts[axis] = rest % shape[axis]
            rest /= shape[axis]
        }
        return "[" + parts.map(String.init).joined(separator: ", ") + "]"
    }
}

/// A decoder's weights read one piece at a time: from a checkpoint's tensors, or from
/// weights in memory. A generation (`DecoderSession`) writes each piece into the machine's
/// DRAM and drops it before reading the next, so a model of gigabytes is never held whole.
///
/// From a checkpoint, tensors are named as a Hugging Face BitNet checkpoint names them
/// (transformers `models/bitnet/modeling_bitnet.py`), each reader translating to its
/// format's names: `model.embed_tokens.weight`, per layer `model.layers.{i}.input_layernorm`,
/// `self_attn.{q,k,v,o}_proj`, `self_attn.attn_sub_norm`, `post_attention_layernorm`,
/// `mlp.{gate,up,down}_proj`, `mlp.ffn_sub_norm`; `model.norm.weight`; `lm_head.weight`
/// when not tied.
public struct DecoderWeightSource {
    public let config: ModelConfig
    private let readEmbedding: () throws(DecoderLoadError) -> (bits: [UInt16], format: TableFormat)
    private let readLayer: (Int) throws(DecoderLoadError) -> DecoderLayerWeights
    private let readFinalNorm: () throws(DecoderLoadError) -> [UInt16]
    private let readHead: (TableFormat) throws(DecoderLoadError) -> [UInt16]?

    /// Weights already in memory.
    public init(_ weights: DecoderWeights) {
        config = weights.config
        readEmbedding = { (weights.embedding, weights.tableFormat) }
        readLayer = { weights.layers[$0] }
        readFinalNorm = { weights.finalNorm }
        readHead = { _ in weights.lmHead }
    }

    /// A checkpoint's tensors, read when asked for.
    init(config c: ModelConfig, reader: some CheckpointTensors) {
        config = c
        let shapes = c.linearLayers
        let table = [c.vocabSize, c.hiddenSize]
        readEmbedding = { () throws(DecoderLoadError) in try reader.table("model.embed_tokens.weight", shape: table, from: "[vocab_size, hidden_size]") }
        readLayer = { (i: Int) throws(DecoderLoadError) in
            let p = "model.layers.\(i)."
            func projection(_ module: String, _ shape: LinearShape) throws(DecoderLoadError) -> TernaryWeights {
                try reader.ternary("\(p)\(module).\(shape.name)", shape: shape)
            }
            return DecoderLayerWeights(
                inputNorm: try reader.bf16("\(p)input_layernorm.weight", shape: [c.hiddenSize], from: "hidden_size"),
                q: try projection("self_attn", shapes[0]), k: try projection("self_attn", shapes[1]),
                v: try projection("self_attn", shapes[2]), o: try projection("self_attn", shapes[3]),
                attentionSubNorm: try reader.bf16("\(p)self_attn.attn_sub_norm.weight", shape: [c.attentionHeads * c.headDim],
                                                  from: "num_attention_heads * head_dim"),
                postAttentionNorm: try reader.bf16("\(p)post_attention_layernorm.weight", shape: [c.hiddenSize], from: "hidden_size"),
                gate: try projection("mlp", shapes[4]), up: try projection("mlp", shapes[5]), down: try projection("mlp", shapes[6]),
                ffnSubNorm: try reader.bf16("\(p)mlp.ffn_sub_norm.weight", shape: [c.intermediateSize], from: "intermediate_size"))
        }
        readFinalNorm = { () throws(DecoderLoadError) in try reader.bf16("model.norm.weight", shape: [c.hiddenSize], from: "hidden_size") }
        readHead = { (format: TableFormat) throws(DecoderLoadError) in
            guard !c.tiedEmbeddings else { return nil }
            let head = try reader.table("lm_head.weight", shape: table, from: "[vocab_size, hidden_size]")
            guard head.format == format else {
                throw DecoderLoadError(file: reader.source, tensor: reader.name(of: "lm_head.weight"),
                                       message: "stored as \(head.format.rawValue) but the embedding as \(format.rawValue): the machine reads both tables in one format")
            }
            return head.bits
        }
    }

    /// The token embedding `[vocab, hidden]` and the format of both tables.
    public func embedding() throws(DecoderLoadError) -> (bits: [UInt16], format: TableFormat) { try readEmbedding() }
    /// Layer `index`'s weights.
    public func layer(_ index: Int) throws(DecoderLoadError) -> DecoderLayerWeights { try readLayer(index) }
    /// The final norm's weights.
    public func finalNorm() throws(DecoderLoadError) -> [UInt16] { try readFinalNorm() }
    /// The untied LM head, which must be in the embedding's `format`; nil when tied.
    public func lmHead(format: TableFormat) throws(DecoderLoadError) -> [UInt16]? { try readHead(format) }

    /// Every piece at once.
    public func weights() throws(DecoderLoadError) -> DecoderWeights {
        let embedding = try embedding()
        var layers: [DecoderLayerWeights] = []
        for i in 0..<config.layers { layers.append(try layer(i)) }
        return DecoderWeights(config: config, embedding: embedding.bits, layers: layers, finalNorm: try finalNorm(),
                              lmHead: try lmHead(format: embedding.format), tableFormat: embedding.format)
    }
}
