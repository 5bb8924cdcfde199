// libFuzzer target: bytes -> SafeTensorsFile(bytes:path:) (the safetensors reader of
// Sources/NMPRuntime/Checkpoints/SafeTensors.swift). The reader must never trap; an error
// must name the file and be at most 1024 bytes, whatever names the header holds; an
// accepted file's tensors must lie within its data buffer, hold product(shape) * item size
// bytes, cover the buffer without overlaps, and read back (raw bytes, and floats for the
// float dtypes) with that many elements. Then the same bytes, as the one `model.safetensors`
// of a 1-layer checkpoint directory beside a fixed config.json, go through the decoder
// mapping (`DecoderWeights.load(directory:)`: names, dtypes, shapes, packed codes, scales):
// it must never trap, every error must name its file or tensor in at most 1024 bytes, and an
// accepted decoder has the config's shapes and trits in -1...1. Built by fuzz/build.sh into
// fuzz/bin/fuzz-safetensors.
import Foundation
import NMPRuntime

/// A checkpoint directory of this process: config.json (the packed fixture's model with one
/// layer) and the input as model.safetensors.
let checkpoint: String = {
    let path = NSTemporaryDirectory() + "nmp-fuzz-safetensors-\(getpid())"
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    let config = """
        {"model_type": "bitnet", "hidden_size": 8, "intermediate_size": 12, "num_hidden_layers": 1, "num_attention_heads": 2,
         "num_key_value_heads": 1, "vocab_size": 5, "hidden_act": "relu2", "max_position_embeddings": 32, "rms_norm_eps": 1e-5,
         "tie_word_embeddings": false}
        """
    FileManager.default.createFile(atPath: path + "/config.json", contents: Data(config.utf8))
    return path
}()

/// The input through the decoder mapping.
func mapOntoDecoder(_ bytes: Data) {
    FileManager.default.createFile(atPath: checkpoint + "/model.safetensors", contents: bytes)
    do {
        let weights = try DecoderWeights.load(directory: checkpoint)
        let m = weights.config
        guard weights.embedding.count == m.vocabSize * m.hiddenSize, weights.layers.count == m.layers,
              weights.layers.allSatisfy({ $0.projections.allSatisfy { $0.weights.trits.allSatisfy { (-1...1).contains($0) } } }) else {
            fatalError("accepted checkpoint breaks its shapes")
        }
    } catch {
        guard error.description.utf8.count <= 1024, !error.file.isEmpty || !error.tensor.isEmpty else {
            fatalError("unhelpful error: \(error.description.prefix(300))")
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Data(UnsafeBufferPointer(start: data, count: size))
    let file: SafeTensorsFile
    do {
        file = try SafeTensorsFile(bytes: bytes, path: "fuzz.safetensors")
    } catch {
        guard error.file == "fuzz.safetensors", error.description.utf8.count <= 1024 else {
            fatalError("unhelpful error (\(error.description.utf8.count) bytes): \(error.description.prefix(300))")
        }
        mapOntoDecoder(bytes)
        return 0
    }
    // The data buffer is what follows the 8-byte length and the header.
    let header = Int(bytes.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
    let dataSize = size - 8 - header
    var covered = 0
    for name in file.names {
        guard let info = try? file.info(name), let raw = try? file.data(name) else { fatalError("accepted tensor '\(name)' cannot be read") }
        guard info.offsets.lowerBound >= 0, info.offsets.upperBound <= dataSize,
              raw.count == info.offsets.count, raw.count == info.count * info.dtype.itemSize else {
            fatalError("tensor '\(name)' \(info.offsets) outside the \(dataSize)-byte buffer or of the wrong size")
        }
        if info.dtype.isFloat {
            guard (try? file.floats(name))?.count == info.count else { fatalError("tensor '\(name)': floats() count") }
        } else if info.dtype == .u8 {
            guard (try? file.uint8s(name))?.count == info.count else { fatalError("tensor '\(name)': uint8s() count") }
        }
        covered += raw.count
    }
    guard covered == dataSize else { fatalError("tensors cover \(covered) of \(dataSize) data bytes") }
    mapOntoDecoder(bytes)
    return 0
}
