import Foundation

/// A model checkpoint as a user points at it: a `.gguf` file, or a directory with
/// `config.json` and `*.safetensors` (or the `.npy` tensors of the fixtures).
public struct Checkpoint {
    /// The path given.
    public let path: String
    /// The decoder's weights and config.
    public let weights: DecoderWeights
    /// What was read, e.g. "GGUF v3, bitnet-b1.58, projections TQ2_0".
    public let summary: String

    /// Loads the checkpoint at `path` (a file ending in `.gguf`, or a directory).
    /// - Throws: `DecoderLoadError` naming the file and tensor or field at fault.
    public static func load(_ path: String) throws(DecoderLoadError) -> Checkpoint {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw DecoderLoadError(file: path, tensor: "", message: "no such file or directory (give a .gguf file or a directory with config.json and *.safetensors)")
        }
        if isDirectory.boolValue {
            let weights = try DecoderWeights.load(directory: path)
            let kind = DecoderWeights.safetensorsFiles(path).isEmpty ? ".npy tensors" : "safetensors"
            return Checkpoint(path: path, weights: weights, summary: "\(kind), \(weights.config.modelType)")
        }
        let file: GGUFFile
        do { file = try GGUFFile(path: path) } catch { throw DecoderLoadError(error) }
        let weights = try DecoderWeights.load(gguf: file)
        let types = Set(file.tensors.filter { $0.name.hasPrefix("blk.") && $0.shape.count == 2 }.map(\.type.name)).sorted()
        return Checkpoint(path: path, weights: weights,
                          summary: "GGUF v\(file.version), \(weights.config.modelType), projections \(types.joined(separator: " + ")), tables \(weights.tableFormat.rawValue)")
    }
}
