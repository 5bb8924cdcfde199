import Foundation
import NMPRuntime
import Testing
@testable import NMPCommands

/// `nmp layer` and `nmp model` as a user meets them.
struct RuntimeCommandTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func save(_ array: NPYArray, _ name: String, in dir: URL) throws -> String {
        let url = dir.appendingPathComponent(name)
        try Data(NPY.encode(array)).write(to: url)
        return url.path
    }

    static let latent: [Float] = (0..<7 * 13).map { (i: Int) -> Float in Float((i * 37) % 19 - 9) / 50 }
    static let activations: [Float] = (0..<3 * 13).map { (i: Int) -> Float in Float((i * 11) % 23 - 11) / 4 }

    /// 7 x 13 weights, 3 tokens; float32 latent weights ternarized by the runtime.
    static func files() throws -> (dir: URL, weights: String, input: String) {
        let dir = try temporaryDirectory()
        let w = latent, x = activations
        return (dir, try save(.float32(w, shape: [7, 13]), "w.npy", in: dir), try save(.float32(x, shape: [3, 13]), "x.npy", in: dir))
    }

    @Test func layerWritesOutputsEqualToTheReference() throws {
        let (dir, w, x) = try Self.files()
        let y = dir.appendingPathComponent("y.npy").path, a = dir.appendingPathComponent("a.npy").path
        let asm = dir.appendingPathComponent("layer.nasm").path
        let run = Run("layer", "--weights", w, "--input", x, "--output", y, "--accumulators", a, "--emit-asm", asm)
        #expect(run.status == 0, "\(run.err)")
        #expect(run.out.contains("bit-exact"))
        let outputs = try NPY.read(Array(try Data(contentsOf: URL(fileURLWithPath: y))), source: y)
        let sums = try NPY.read(Array(try Data(contentsOf: URL(fileURLWithPath: a))), source: a)
        #expect(outputs.shape == [3, 7] && outputs.dtype == .float32)
        #expect(sums.shape == [3, 7] && sums.dtype == .int32)
        let weights = BitNetReference.quantizeWeights(Self.latent, rows: 7, columns: 13)
        #expect(outputs.floats() == BitNetReference.bitLinear(Self.activations, tokens: 3, weights: weights))
        // The emitted program assembles.
        #expect(Run("asm", asm, "-o", dir.appendingPathComponent("layer.nmc").path).status == 0)
    }

    @Test func layerJSONHasTheKeyFigures() throws {
        let (dir, w, x) = try Self.files()
        let run = Run("layer", "--weights", w, "--input", x, "--output", dir.appendingPathComponent("y.npy").path, "--json")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.out.utf8)) as? [String: Any])
        #expect(object["bit_exact"] as? Bool == true)
        for key in ["cycles", "cycles_per_token", "tokens_per_second", "energy_pj_per_token", "dram_bytes", "config"] {
            #expect(object[key] != nil, "\(key)")
        }
    }

    @Test func layerBadInputsLeaveNoOutput() throws {
        let (dir, w, x) = try Self.files()
        let y = dir.appendingPathComponent("y.npy").path
        let cases: [([String], String)] = [
            (["--weights", try Self.save(.int32([1, 2], shape: [2]), "w32.npy", in: dir), "--input", x], "weights must be 2-D"),
            (["--weights", w, "--input", try Self.save(.float32([1, 2], shape: [2]), "short.npy", in: dir)], "features per token"),
            (["--weights", w, "--input", try Self.save(.float32([], shape: [0, 13]), "empty.npy", in: dir)], "no tokens"),
            (["--weights", try Self.save(.int8([2] + [Int8](repeating: 0, count: 7 * 13 - 1), shape: [7, 13]), "w8.npy", in: dir),
              "--input", x, "--weight-scale", "0.5"], "ternary weights are -1, 0 or +1"),
            (["--weights", w, "--input", try Self.save(.int32([Int32](repeating: 1, count: 13), shape: [13]), "xi.npy", in: dir)], "float32, float16 or float64"),
        ]
        for (arguments, fragment) in cases {
            let run = Run(["layer", "--output", y] + arguments)
            #expect(run.status == 1, "\(arguments)")
            #expect(run.err.contains(fragment), "stderr: \(run.err)")
            #expect(!FileManager.default.fileExists(atPath: y))
        }
        let truncated = dir.appendingPathComponent("t.npy")
        try Data(Array(try Data(contentsOf: URL(fileURLWithPath: x))).prefix(100)).write(to: truncated)
        #expect(Run("layer", "--weights", w, "--input", truncated.path, "--output", y).status == 1)
        #expect(Run("layer", "--weights", w, "--input", x).status == 2)
    }

    @Test func theBitLinearExampleRuns() throws {
        let dir = Self.repository.appendingPathComponent("examples/bitlinear")
        let out = try temporaryDirectory().appendingPathComponent("y.npy").path
        let run = Run("layer", "--weights", dir.appendingPathComponent("W.npy").path, "--input", dir.appendingPathComponent("X.npy").path,
                      "--output", out)
        #expect(run.status == 0, "\(run.err)")
        #expect(run.out.contains("200 -> 100, 3 tokens: outputs bit-exact"))
    }

    @Test func modelReportsTheExampleConfigs() throws {
        let path = Self.repository.appendingPathComponent("examples/bitnet_b1_58-large.config.json").path
        let run = Run("model", "--hf-config", path, "--json", "--context", "16")
        #expect(run.status == 0, "\(run.err)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.out.utf8)) as? [String: Any])
        #expect(object["ternary_parameters"] as? Int == 679_477_248)
        #expect(object["simulated_share"] as? Double == 1)
        let decode = try #require(object["decode"] as? [String: Any])
        let operations = try #require(decode["operations"] as? [[String: Any]])
        #expect(operations.map { $0["name"] as? String } == DecoderOperation.allCases.map(\.rawValue))
        #expect(operations.allSatisfy { $0["simulated"] as? Bool == true && ($0["cycles"] as? Double ?? -1) >= 0 })
        #expect((decode["roofline_utilization"] as? Double ?? 0) > 0)
        for key in ["cycles_per_token", "tokens_per_second", "energy_pj_per_token"] {
            #expect((object[key] as? Double ?? 0) > 0, "\(key)")
        }
        // A small LLaMA-style (SwiGLU) model for the text report with a prefill.
        let small = try temporaryDirectory().appendingPathComponent("small.json")
        try #"{"model_type": "llama", "hidden_size": 256, "intermediate_size": 688, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 1000, "hidden_act": "silu", "max_position_embeddings": 512, "rms_norm_eps": 1e-5}"#
            .write(to: small, atomically: true, encoding: .utf8)
        let text = Run("model", "--hf-config", small.path, "--prompt-tokens", "3")
        #expect(text.status == 0)
        for fragment in ["q_proj", "down_proj", "lm_head", "softmax", "input_norm", "attention_scores", "kv_cache_write", "rope",
                         "FP16 baseline", "prefill of 3 tokens", "roofline", "activation", "one layer", "100.0 %"] {
            #expect(text.out.contains(fragment), "\(fragment)")
        }
    }

    /// `nmp model --emit-asm`: the decode pass as .nasm that `nmp asm` assembles and `nmp run`
    /// runs in exactly the cycles the report gives (a 2-layer model: nothing extrapolated).
    @Test func modelEmitsItsDecodeProgram() throws {
        let dir = try temporaryDirectory()
        let config = dir.appendingPathComponent("tiny.json")
        try #"{"model_type": "bitnet", "hidden_size": 40, "intermediate_size": 72, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 10, "vocab_size": 97, "hidden_act": "relu2", "max_position_embeddings": 64, "rms_norm_eps": 1e-5, "tie_word_embeddings": true}"#
            .write(to: config, atomically: true, encoding: .utf8)
        let source = dir.appendingPathComponent("decode.nasm").path, image = dir.appendingPathComponent("decode.nmc").path
        let report = Run("model", "--hf-config", config.path, "--context", "5", "--emit-asm", source, "--json")
        #expect(report.status == 0, "\(report.err)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(report.out.utf8)) as? [String: Any])
        let decode = try #require(object["decode"] as? [String: Any])
        #expect(Run("asm", source, "-o", image).status == 0)
        let run = Run("run", image, "--json")
        #expect(run.status == 0, "\(run.err)")
        let result = try #require(try JSONSerialization.jsonObject(with: Data(run.out.utf8)) as? [String: Any])
        #expect(result["cycles"] as? Int == Int(try #require(decode["cycles_per_token"] as? Double)))
        // A bad output path is an error before anything is simulated.
        #expect(Run("model", "--hf-config", config.path, "--emit-asm", dir.appendingPathComponent("missing/x.nasm").path).status == 1)
    }

    @Test func modelBadConfigsExitOne() throws {
        let dir = try temporaryDirectory()
        let missing = dir.appendingPathComponent("missing.json")
        try #"{"hidden_size": 2560, "num_hidden_layers": 2}"#.write(to: missing, atomically: true, encoding: .utf8)
        let run = Run("model", "--hf-config", missing.path)
        #expect(run.status == 1)
        #expect(run.err.contains("intermediate_size") || run.err.contains("missing"), "\(run.err)")
        let indivisible = dir.appendingPathComponent("heads.json")
        try #"{"model_type": "bitnet", "hidden_size": 100, "intermediate_size": 64, "num_hidden_layers": 1, "num_attention_heads": 3, "num_key_value_heads": 3, "vocab_size": 10, "hidden_act": "relu2", "max_position_embeddings": 64, "rms_norm_eps": 1e-5}"#
            .write(to: indivisible, atomically: true, encoding: .utf8)
        let heads = Run("model", "--hf-config", indivisible.path)
        #expect(heads.status == 1)
        #expect(heads.err.contains("num_attention_heads"), "\(heads.err)")
        #expect(Run("model", "--hf-config", "/nonexistent.json").status == 1)
        #expect(Run("model").status == 2)
    }
}
