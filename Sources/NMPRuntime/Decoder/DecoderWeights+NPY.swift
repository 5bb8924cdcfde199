import Foundation

// Reading a decoder from a directory of NumPy files: `config.json` (Hugging Face's) and one
// `.npy` per tensor, named as the Hugging Face checkpoint names it (transformers
// models/bitnet/modeling_bitnet.py: `model.embed_tokens`, `model.layers.{i}.input_layernorm`,
// `.self_attn.{q,k,v,o}_proj`, `.self_attn.attn_sub_norm`, `.post_attention_layernorm`,
// `.mlp.{gate,up,down}_proj`, `.mlp.ffn_sub_norm`, `model.norm`, `lm_head`). The ternary
// projections are stored unpacked, as int8 trits `[out, in]`, with their `weight_scale`
// (HF integrations/bitnet.py `AutoBitLinear`, offline mode, multiplies the output by it).
// The checkpoints keep their float tensors in bf16, which numpy lacks, so they arrive as
// float32 and must be exactly representable in bf16.

/// Why a decoder directory cannot be loaded: the file at fault, the tensor (empty for
/// `config.json` and whole-file problems) and what was expected:
///
///     /m/model.layers.0.self_attn.q_proj.weight.npy: tensor 'model.layers.0.self_attn.q_proj.weight': shape [40, 41], expected [40, 40] (out, in) from config.json
public struct DecoderLoadError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The path of the file at fault.
    public let file: String
    /// The checkpoint name of the tensor at fault; empty when the error is not about one.
    public let tensor: String
    /// What is wrong and what was expected.
    public let message: String

    /// An error from its parts.
    public init(file: String, tensor: String, message: String) {
        self.file = file
        self.tensor = tensor
        self.message = message
    }

    /// `"file: tensor 'name': message"`, or `"file: message"` without a tensor.
    public var description: String {
        tensor.isEmpty ? "\(file): \(message)" : "\(file): tensor '\(tensor)': \(message)"
    }
}

extension DecoderWeights {
    /// Loads a decoder from `directory`: `config.json` (read by `ModelConfig(json:source:)`)
    /// and one `<name>.npy` per tensor:
    /// - `model.embed_tokens.weight`: float32 `[vocab, hidden]`;
    /// - per layer `i`, `model.layers.{i}.`: `input_layernorm.weight` `[hidden]`,
    ///   `self_attn.{q,k,v,o}_proj.weight` int8 `[out, in]` (`config.linearLayers`) with each
    ///   value in -1...1, and `.weight_scale` float32 of shape `[1]` or `[]`, finite;
    ///   `self_attn.attn_sub_norm.weight` `[heads * head_dim]`, `post_attention_layernorm.weight`
    ///   `[hidden]`, `mlp.{gate,up,down}_proj.weight` and `.weight_scale` likewise,
    ///   `mlp.ffn_sub_norm.weight` `[intermediate]`;
    /// - `model.norm.weight` `[hidden]`;
    /// - `lm_head.weight` float32 `[vocab, hidden]`, only when `tie_word_embeddings` is false
    ///   (when tied the head is the embedding and a `lm_head.weight.npy` is ignored).
    ///
    /// Float tensors must be float32 values that bf16 represents exactly (the checkpoints'
    /// dtype) and finite; they are kept as bf16 bit patterns. Other files are ignored. Each
    /// `weight_scale` becomes `TernaryWeights.scale` as it is (the output is multiplied by it).
    ///
    /// Throws, naming the file and tensor, for a missing or unreadable file, a malformed
    /// `.npy` or `config.json`, an odd `head_dim` (RoPE needs halves), a wrong dtype, a shape other than the config's, a trit outside
    /// -1...1, a float value that is not finite or not a bf16 value (with its index), a
    /// non-finite scale. Never traps.
    ///
    /// A directory that holds any `*.safetensors` file is read by
    /// `load(safetensorsDirectory:)` instead (a checkpoint as Hugging Face publishes it).
    public static func load(directory: String) throws(DecoderLoadError) -> DecoderWeights {
        try source(directory: directory).weights()
    }

    /// The weights of `directory` (as `load(directory:)` reads them), read when asked for:
    /// `config.json` is read and checked now, the tensors piece by piece.
    public static func source(directory: String) throws(DecoderLoadError) -> DecoderWeightSource {
        // A directory holding .safetensors files is a Hugging Face checkpoint as published.
        if !safetensorsFiles(directory).isEmpty { return try source(safetensorsDirectory: directory) }
        let config = try loadConfig(directory: directory).config
        return DecoderWeightSource(config: config, reader: TensorReader(directory: directory, config: config))
    }

    /// The prompt of a reference run in `directory`: `prompt_ids.npy`, int32 of shape `[N]`
    /// or `[1, N]` (HF's `input_ids`), every id in `0 ..< vocabSize`; nil when the file does
    /// not exist.
    public static func loadPromptIDs(directory: String, vocabSize: Int) throws(DecoderLoadError) -> [Int]? {
        let file = path(directory, "prompt_ids.npy")
        guard FileManager.default.fileExists(atPath: file) else { return nil }
        let array = try readNPY(file, tensor: "prompt_ids")
        let fail = { (message: String) in DecoderLoadError(file: file, tensor: "prompt_ids", message: message) }
        guard let ids = array.int32s() else { throw fail("dtype \(array.dtype.name), expected int32") }
        guard array.shape.count == 1 || (array.shape.count == 2 && array.shape[0] == 1) else {
            throw fail("shape \(array.shape), expected [N] or [1, N]")
        }
        if let bad = ids.firstIndex(where: { $0 < 0 || Int($0) >= vocabSize }) {
            throw fail("token id \(ids[bad]) at index \(bad) is outside 0 ..< \(vocabSize) (vocab_size)")
        }
        return ids.map(Int.init)
    }

    /// The logits of a reference run in `directory`: `logits.npy`, float32 `[N, vocabSize]`
    /// (or `[1, N, vocabSize]`), one row per token; nil when the file does not exist.
    public static func loadLogits(directory: String, vocabSize: Int) throws(DecoderLoadError) -> [[Float]]? {
        let file = path(directory, "logits.npy")
        guard FileManager.default.fileExists(atPath: file) else { return nil }
        let array = try readNPY(file, tensor: "logits")
        let fail = { (message: String) in DecoderLoadError(file: file, tensor: "logits", message: message) }
        guard array.dtype == .float32 else { throw fail("dtype \(array.dtype.name), expected float32") }
        let shape = array.shape
        guard vocabSize > 0 else { throw fail("vocab_size \(vocabSize) must be positive") }
        guard (shape.count == 2 || (shape.count == 3 && shape[0] == 1)), shape.last == vocabSize else {
            throw fail("shape \(shape), expected [N, \(vocabSize)] (vocab_size)")
        }
        let values = array.floats()
        return stride(from: 0, to: values.count, by: vocabSize).map { Array(values[$0..<($0 + vocabSize)]) }
    }

    /// `directory/config.json` read and checked (with its path and bytes).
    static func loadConfig(directory: String) throws(DecoderLoadError) -> (config: ModelConfig, path: String, bytes: [UInt8]) {
        let configPath = path(directory, "config.json")
        let configBytes = try readFile(configPath, tensor: "")
        let config: ModelConfig
        do {
            config = try ModelConfig(json: configBytes, source: configPath)
        } catch {
            // The error's own source is this path: keep the field and the message.
            throw DecoderLoadError(file: configPath, tensor: "", message: error.field.isEmpty ? error.message : "field '\(error.field)': \(error.message)")
        }
        // RoPE rotates the two halves of each head (HF `rotate_half`), so a head has an even
        // number of dimensions; checked here so that the reference never meets an odd one.
        guard config.headDim % 2 == 0 else {
            throw DecoderLoadError(file: configPath, tensor: "", message: "field 'head_dim': must be even for RoPE (got \(config.headDim))")
        }
        return (config, configPath, configBytes)
    }

    // MARK: - Files

    static func path(_ directory: String, _ name: String) -> String {
        URL(fileURLWithPath: directory).appendingPathComponent(name).path
    }

    static func readFile(_ file: String, tensor: String) throws(DecoderLoadError) -> [UInt8] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory) else {
            throw DecoderLoadError(file: file, tensor: tensor, message: tensor.isEmpty ? "missing file" : "missing tensor (no such file)")
        }
        guard !isDirectory.boolValue else { throw DecoderLoadError(file: file, tensor: tensor, message: "is a directory, expected a file") }
        // An empty file is read as such without FileManager.contents, which leaks its
        // read buffer for empty files (found by fuzz/FuzzDecoderWeights.swift).
        if let size = (try? FileManager.default.attributesOfItem(atPath: file))?[.size] as? Int, size == 0 { return [] }
        guard let data = FileManager.default.contents(atPath: file) else {
            throw DecoderLoadError(file: file, tensor: tensor, message: "cannot be read")
        }
        return [UInt8](data)
    }

    static func readNPY(_ file: String, tensor: String) throws(DecoderLoadError) -> NPYArray {
        let bytes = try readFile(file, tensor: tensor)
        do {
            return try NPY.read(bytes, source: file)
        } catch {
            throw DecoderLoadError(file: file, tensor: tensor, message: error.message)
        }
    }
}

/// Reads and checks the tensors of one directory against its config.
private struct TensorReader: CheckpointTensors {
    let directory: String
    let config: ModelConfig
    var source: String { directory }

    func file(_ tensor: String) -> String { DecoderWeights.path(directory, tensor + ".npy") }

    func array(_ tensor: String) throws(DecoderLoadError) -> NPYArray {
        try DecoderWeights.readNPY(file(tensor), tensor: tensor)
    }

    func fail(_ tensor: String, _ message: String) -> DecoderLoadError {
        DecoderLoadError(file: file(tensor), tensor: tensor, message: message)
    }

    /// A float32 tensor of `shape` whose values are finite bf16 values, as bf16 bit patterns.
    func bf16(_ tensor: String, shape: [Int], from fields: String) throws(DecoderLoadError) -> [UInt16] {
        let a = try array(tensor)
        guard a.dtype == .float32 else {
            throw fail(tensor, "dtype \(a.dtype.name), expected float32 (holding bf16 values)")
        }
        guard a.shape == shape else { throw fail(tensor, "shape \(a.shape), expected \(shape) (\(fields) from config.json)") }
        return try bf16Bits(a.floats(), tensor: tensor, shape: shape, type: a.dtype.name, file: file(tensor))
    }

    /// The int8 trits `[out, in]` of `<name>.weight` and the scale of `<name>.weight_scale`.
    func ternary(_ name: String, shape: LinearShape) throws(DecoderLoadError) -> TernaryWeights {
        let tensor = name + ".weight"
        let a = try array(tensor)
        guard let trits = a.int8s() else { throw fail(tensor, "dtype \(a.dtype.name), expected int8 trits (-1, 0, +1)") }
        let expected = [shape.outFeatures, shape.inFeatures]
        guard a.shape == expected else { throw fail(tensor, "shape \(a.shape), expected \(expected) (out, in) from config.json") }
        if let bad = trits.firstIndex(where: { $0 < -1 || $0 > 1 }) {
            throw fail(tensor, "value \(trits[bad]) at index \(index(bad, expected)) is not a trit (expected -1, 0 or +1)")
        }
        let scaleTensor = name + ".weight_scale"
        let s = try array(scaleTensor)
        guard s.dtype == .float32 else { throw fail(scaleTensor, "dtype \(s.dtype.name), expected float32") }
        guard s.shape == [] || s.shape == [1] else { throw fail(scaleTensor, "shape \(s.shape), expected [1] or [] (one scale per tensor)") }
        let scale = s.floats()[0]
        guard scale.isFinite else { throw fail(scaleTensor, "scale \(scale) is not finite") }
        return TernaryWeights(rows: shape.outFeatures, columns: shape.inFeatures, trits: trits, scale: scale)
    }
}
