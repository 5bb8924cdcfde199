// libFuzzer target: bytes -> one tensor file of a small Hugging Face style checkpoint
// directory -> DecoderWeights.load(directory:). The first input byte picks which file the
// rest replaces (config.json or one of the .npy tensors); every other file is a valid
// tensor of a 1-layer model written once at start-up. The loader must never trap, must
// name the file or tensor in every error, and an accepted checkpoint must have the
// config's shapes and trits in -1...1. Built by fuzz/build.sh into fuzz/bin/fuzz-weights.
import Foundation
import NMPRuntime

let directory: String = {
    let path = NSTemporaryDirectory() + "nmp-fuzz-weights-\(getpid())"
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}()

let config = """
    {"model_type": "bitnet", "hidden_size": 8, "intermediate_size": 12, "num_hidden_layers": 1, "num_attention_heads": 2,
     "num_key_value_heads": 1, "vocab_size": 5, "hidden_act": "relu2", "max_position_embeddings": 16, "rms_norm_eps": 1e-5,
     "tie_word_embeddings": false}
    """

/// The checkpoint's files and their valid contents.
let files: [(name: String, bytes: [UInt8])] = {
    func floats(_ shape: [Int]) -> [UInt8] { NPY.encode(.float32([Float](repeating: 1, count: shape.reduce(1, *)), shape: shape)) }
    func trits(_ shape: [Int]) -> [UInt8] { NPY.encode(.int8([Int8](repeating: -1, count: shape.reduce(1, *)), shape: shape)) }
    var list: [(String, [UInt8])] = [("config.json", Array(config.utf8)),
                                     ("model.embed_tokens.weight.npy", floats([5, 8])), ("lm_head.weight.npy", floats([5, 8])),
                                     ("model.norm.weight.npy", floats([8]))]
    let p = "model.layers.0."
    for (name, shape) in [("self_attn.q_proj", [8, 8]), ("self_attn.k_proj", [4, 8]), ("self_attn.v_proj", [4, 8]),
                          ("self_attn.o_proj", [8, 8]), ("mlp.gate_proj", [12, 8]), ("mlp.up_proj", [12, 8]), ("mlp.down_proj", [8, 12])] {
        list.append((p + name + ".weight.npy", trits(shape)))
        list.append((p + name + ".weight_scale.npy", floats([1])))
    }
    for (name, n) in [("input_layernorm", 8), ("post_attention_layernorm", 8), ("self_attn.attn_sub_norm", 8), ("mlp.ffn_sub_norm", 12)] {
        list.append((p + name + ".weight.npy", floats([n])))
    }
    return list
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let chosen = Int(data[0]) % files.count
    for (index, file) in files.enumerated() {
        let bytes = index == chosen ? Array(UnsafeBufferPointer(start: data + 1, count: size - 1)) : file.bytes
        FileManager.default.createFile(atPath: directory + "/" + file.name, contents: Data(bytes))
    }
    do {
        let weights = try DecoderWeights.load(directory: directory)
        let m = weights.config
        guard weights.embedding.count == m.vocabSize * m.hiddenSize, weights.layers.count == m.layers,
              weights.layers.allSatisfy({ $0.projections.allSatisfy { $0.weights.trits.allSatisfy { (-1...1).contains($0) } } }) else {
            fatalError("accepted checkpoint breaks its shapes: \(m)")
        }
    } catch {
        guard error.description.utf8.count <= 1024, !error.file.isEmpty || !error.tensor.isEmpty else {
            fatalError("unhelpful error: \(error.description.prefix(300))")
        }
    }
    return 0
}
