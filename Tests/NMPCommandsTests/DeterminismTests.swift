import Foundation
import Testing

/// The same inputs give byte-identical reports in every process (Swift seeds hashing per
/// process, so anything summed or printed in Dictionary order would differ between runs).
struct DeterminismTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// A small decoder (so that a debug build simulates it in a few seconds).
    static let smallModel = """
        {"model_type": "bitnet", "hidden_size": 128, "intermediate_size": 352, "num_hidden_layers": 3,
         "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 1000, "hidden_act": "relu2",
         "rms_norm_eps": 1e-5, "max_position_embeddings": 256, "tie_word_embeddings": true}
        """

    static func twice(_ arguments: [String], in directory: URL? = nil) throws -> (ProcessRun, ProcessRun) {
        (try ProcessRun(arguments, in: directory), try ProcessRun(arguments, in: directory))
    }

    static func expectIdentical(_ a: ProcessRun, _ b: ProcessRun, _ what: String) {
        #expect(a.status == 0, "\(what): \(String(decoding: a.err, as: UTF8.self))")
        #expect(a.status == b.status)
        #expect(!a.out.isEmpty)
        #expect(a.out == b.out, "\(what): the two processes printed different reports")
        #expect(a.err == b.err)
    }

    /// Every program of programs/, three processes each: before reports summed in table
    /// order, about half of them printed a different `energy_pj` in some processes.
    @Test(arguments: repositoryPrograms())
    func runReportsAreByteIdentical(program: String) throws {
        let path = Self.repository.appendingPathComponent("programs/" + program).path
        let runs = try (0..<3).map { _ in try ProcessRun(["run", path, "--json"]) }
        Self.expectIdentical(runs[0], runs[1], "nmp run --json \(program)")
        Self.expectIdentical(runs[0], runs[2], "nmp run --json \(program)")
        let (a, b) = try Self.twice(["run", path])
        Self.expectIdentical(a, b, "nmp run \(program)")
    }

    /// `nmp generate` on a GGUF (tokenizer, eos set) and a safetensors directory, text and
    /// JSON, with the logits it dumps.
    @Test(arguments: ["tq2_0.gguf", "safetensors"], [false, true])
    func generateReportsAreByteIdentical(model: String, json: Bool) throws {
        let dir = try temporaryDirectory()
        let path = Self.repository.appendingPathComponent("Tests/NMPRuntimeTests/Fixtures/generate/" + model).path
        var runs: [ProcessRun] = []
        var logits: [Data] = []
        for i in 0..<2 {
            let dump = dir.appendingPathComponent("logits\(i).npy").path
            runs.append(try ProcessRun(["generate", "--model", path, "--prompt", "Bonjour, 世界", "--max-new-tokens", "3",
                                        "--dump-logits", dump] + (json ? ["--json"] : [])))
            logits.append(try Data(contentsOf: URL(fileURLWithPath: dump)))
        }
        Self.expectIdentical(runs[0], runs[1], "nmp generate \(model)")
        #expect(logits[0] == logits[1])
    }

    static func repositoryPrograms() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: repository.appendingPathComponent("programs").path)) ?? [])
            .filter { $0.hasSuffix(".nasm") }.sorted()
    }

    @Test(arguments: [false, true])
    func layerReportsAndOutputsAreByteIdentical(json: Bool) throws {
        let dir = try temporaryDirectory()
        let examples = Self.repository.appendingPathComponent("examples/bitlinear")
        var outputs: [Data] = []
        var runs: [ProcessRun] = []
        for i in 0..<2 {
            let y = dir.appendingPathComponent("y\(i).npy").path
            runs.append(try ProcessRun(["layer", "--weights", examples.appendingPathComponent("W.npy").path,
                                        "--input", examples.appendingPathComponent("X.npy").path, "--output", y]
                                       + (json ? ["--json"] : [])))
            outputs.append(try Data(contentsOf: URL(fileURLWithPath: y)))
        }
        Self.expectIdentical(runs[0], runs[1], "nmp layer")
        #expect(outputs[0] == outputs[1])
    }

    @Test(arguments: [false, true])
    func modelReportsAreByteIdentical(json: Bool) throws {
        let dir = try temporaryDirectory()
        let config = dir.appendingPathComponent("config.json")
        try Self.smallModel.write(to: config, atomically: true, encoding: .utf8)
        let (a, b) = try Self.twice(["model", "--hf-config", config.path, "--prompt-tokens", "3", "--context", "5"] + (json ? ["--json"] : []))
        Self.expectIdentical(a, b, "nmp model")
    }
}
