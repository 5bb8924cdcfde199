import Foundation
import NMPJSON

/// A model checkpoint as a user points at it: a `.gguf` file, or a directory with
/// `config.json` and `*.safetensors` (or the `.npy` tensors of the fixtures).
public struct Checkpoint {
    /// The path given.
    public let path: String
    /// The decoder's weights, read when asked for (`source.weights()`, or piece by piece by
    /// a `DecoderSession`).
    public let source: DecoderWeightSource
    /// The model's config.
    public var config: ModelConfig { source.config }
    /// What was read, e.g. "GGUF v3, bitnet-b1.58, projections TQ2_0".
    public let summary: String
    /// The checkpoint's tokenizer: GGUF `tokenizer.ggml.*`, or `tokenizer.json` beside
    /// `config.json`; nil when there is none or it cannot be read (`tokenizerProblem`).
    public let tokenizer: BPETokenizer?
    /// Why there is no tokenizer (none in the checkpoint, an unsupported kind, or the
    /// reader's error naming its key or field); nil when there is one.
    public let tokenizerProblem: String?
    /// End-of-sequence ids that stop a generation: the tokenizer's, and for a directory
    /// config.json's `eos_token_id` (an id or a list).
    public let endOfSequenceIDs: [Int]

    /// Opens the checkpoint at `path` (a directory, or else a GGUF file): its config,
    /// headers and tokenizer are read and checked now, the weights when asked for.
    /// - Throws: `DecoderLoadError` naming the file and tensor or field at fault.
    public static func open(_ path: String) throws(DecoderLoadError) -> Checkpoint {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw DecoderLoadError(file: path, tensor: "", message: "no such file or directory (give a .gguf file or a directory with config.json and *.safetensors)")
        }
        if isDirectory.boolValue {
            let source = try DecoderWeights.source(directory: path)
            let kind = DecoderWeights.safetensorsFiles(path).isEmpty ? ".npy tensors" : "safetensors"
            let json = DecoderWeights.path(path, "tokenizer.json")
            var tokenizer: BPETokenizer?, problem: String?
            if FileManager.default.fileExists(atPath: json) {
                do { tokenizer = try BPETokenizer.load(tokenizerJSON: json) } catch { problem = error.description }
            } else {
                problem = "no tokenizer.json beside config.json"
            }
            let eos = configEOS(DecoderWeights.path(path, "config.json"))
            return Checkpoint(path: path, source: source, summary: "\(kind), \(source.config.modelType)",
                              tokenizer: tokenizer, tokenizerProblem: problem,
                              endOfSequenceIDs: Array(Set(eos + (tokenizer?.eosIDs ?? []))).sorted())
        }
        let file: GGUFFile
        do { file = try GGUFFile(path: path) } catch { throw DecoderLoadError(error) }
        let source = try DecoderWeights.source(gguf: file)
        let types = Set(file.tensors.filter { $0.name.hasPrefix("blk.") && $0.shape.count == 2 }.map(\.type.name)).sorted()
        let table = (try? file.tensor("token_embd.weight"))?.type.name ?? "?"
        var tokenizer: BPETokenizer?, problem: String?
        do {
            tokenizer = try BPETokenizer(gguf: file)
            if tokenizer == nil { problem = "the file has no tokenizer.ggml.* keys" }
        } catch {
            problem = error.description
        }
        return Checkpoint(path: path, source: source,
                          summary: "GGUF v\(file.version), \(source.config.modelType), projections \(types.joined(separator: " + ")), token_embd \(table)",
                          tokenizer: tokenizer, tokenizerProblem: problem, endOfSequenceIDs: (tokenizer?.eosIDs ?? []).sorted())
    }

    /// config.json's `eos_token_id`: an integer or a list of them (anything else: none).
    static func configEOS(_ path: String) -> [Int] {
        guard let data = FileManager.default.contents(atPath: path),
              case .object(let root)? = try? StrictJSON.parse([UInt8](data), maxDepth: 128),
              let value = root.first(where: { $0.0 == "eos_token_id" })?.1 else { return [] }
        func id(_ v: StrictJSON) -> Int? {
            if case .number(let text) = v, let n = Int(text), n >= 0 { return n }
            return nil
        }
        if case .array(let items) = value { return items.compactMap(id) }
        return id(value).map { [$0] } ?? []
    }
}
