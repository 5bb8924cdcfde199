import Foundation
import NMPRuntime
import Testing
@testable import NMPCommands

/// `nmp generate` as a user meets it, on the checkpoints the `gguf` and `safetensors`
/// Python packages wrote (Tests/NMPRuntimeTests/Fixtures/generate/).
struct GenerateCommandTests {
    static let fixtures = RuntimeCommandTests.repository.appendingPathComponent("Tests/NMPRuntimeTests/Fixtures/generate")
    static func fixture(_ name: String) -> String { fixtures.appendingPathComponent(name).path }
    static func npy(_ name: String) throws -> NPYArray {
        try NPY.read(Array(try Data(contentsOf: fixtures.appendingPathComponent(name))), source: name)
    }
    /// The script's prompt (make_generate_fixtures.py PROMPT).
    static let prompt = "The chip said: « bonjour » — 你好!"

    static func json(_ run: Run) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(run.out.utf8)) as? [String: Any], "\(run.err)")
    }

    /// Text in, the reference's tokens out (float32 cache, as the NumPy reference keeps):
    /// the prompt tokenized as `tokenizers` does, the greedy tokens and the logits each
    /// came from as the script computed them.
    @Test(arguments: ["tq2_0.gguf", "safetensors"])
    func generatesTheReferenceTokensFromText(_ model: String) throws {
        let dir = try temporaryDirectory()
        let logitsPath = dir.appendingPathComponent("logits.npy").path
        let run = Run("generate", "--model", Self.fixture(model), "--prompt", Self.prompt, "--max-new-tokens", "8",
                      "--kv-cache", "fp32", "--dump-logits", logitsPath, "--json")
        #expect(run.status == 0, "\(run.err)")
        let object = try Self.json(run)
        let promptIDs = try #require(try Self.npy("prompt_ids.npy").int32s()).map(Int.init)
        let generated = try #require(try Self.npy("generated_ids.npy").int32s()).map(Int.init)
        #expect(object["schema"] as? String == "nmp-generate/1")
        #expect(object["prompt_ids"] as? [Int] == promptIDs)
        #expect(object["generated_ids"] as? [Int] == generated)
        #expect(object["stop_reason"] as? String == "max_new_tokens")
        for key in ["tokens_per_second", "energy_pj_per_token", "time_to_first_token_s", "prefill", "decode", "steps", "generated_text"] {
            #expect(object[key] != nil && !(object[key] is NSNull), "\(key)")
        }
        let steps = try #require(object["steps"] as? [[String: Any]])
        #expect(steps.count == 8 && steps.first?["input_tokens"] as? Int == promptIDs.count)
        #expect(steps.dropFirst().allSatisfy { $0["input_tokens"] as? Int == 1 })
        let dumped = try NPY.read(Array(try Data(contentsOf: URL(fileURLWithPath: logitsPath))), source: logitsPath)
        let expected = try Self.npy("logits.npy")
        #expect(dumped.dtype == .float32 && dumped.shape == expected.shape && dumped.shape == [8, 480])
        let largest = zip(dumped.floats(), expected.floats()).map { abs($0 - $1) }.max() ?? .infinity
        #expect(largest <= 1e-4, "max |logit - NumPy| = \(largest)")
    }

    /// The text report streams one row per token, then the summary; the default cache is
    /// bf16 and every checkpoint format gives the same tokens.
    @Test func textReportAndFormatsAgree() throws {
        var tokens: [[Int]] = []
        for model in ["tq2_0.gguf", "tq1_0.gguf", "i2_s.gguf", "safetensors"] {
            let run = Run("generate", "--model", Self.fixture(model), "--prompt-ids", "0,54,272,285,74", "--max-new-tokens", "3", "--json")
            #expect(run.status == 0, "\(model): \(run.err)")
            tokens.append(try Self.json(run)["generated_ids"] as? [Int] ?? [])
        }
        #expect(tokens.allSatisfy { $0 == tokens[0] && $0.count == 3 }, "\(tokens)")
        let run = Run("generate", "--model", Self.fixture("tq2_0.gguf"), "--prompt-ids", "0,54,272,285,74", "--max-new-tokens", "3")
        #expect(run.status == 0, "\(run.err)")
        for text in ["GGUF v3, bitnet-b1.58, projections TQ2_0, token_embd F16", "tables fp16", "prefill", "time to first token", "tokens/s",
                     "energy/token", "generated: 3 tokens \(Self.list(tokens[0]))", "KV cache bf16"] {
            #expect(run.out.contains(text), "\(text)\n\(run.out)")
        }
        let rows = run.out.split(separator: "\n").filter { $0.hasPrefix("prefill ") || $0.hasPrefix("      1 ") || $0.hasPrefix("      2 ") }
        #expect(rows.count == 4, "\(run.out)")   // the prefill, two decode rows, the summary's prefill line
    }

    static func list(_ ids: [Int]) -> String { "[" + ids.map(String.init).joined(separator: ", ") + "]" }

    /// A token id given to --prompt-ids that is an end-of-sequence id stops nothing; one
    /// generated does (unless --ignore-eos).
    @Test func floatModelWithoutTokenizer() throws {
        let run = Run("generate", "--model", Self.fixture("float.gguf"), "--prompt-ids", "1,7,0", "--max-new-tokens", "3")
        #expect(run.status == 0, "\(run.err)")
        #expect(run.out.contains("no token text: the file has no tokenizer.ggml.* keys"))
        let text = Run("generate", "--model", Self.fixture("float.gguf"), "--prompt", "hello")
        #expect(text.status == 1 && text.err.contains("--prompt needs the checkpoint's tokenizer"), "\(text.err)")
    }

    /// Bad input: a clear message naming the file and the field or tensor, exit 1 (2 for a
    /// malformed command line), no output file.
    @Test func badInputs() throws {
        let dir = try temporaryDirectory()
        let valid = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Self.fixture("tq2_0.gguf"))))
        func file(_ name: String, _ bytes: [UInt8]) throws -> String {
            let url = dir.appendingPathComponent(name)
            try Data(bytes).write(to: url)
            return url.path
        }
        var wrongMagic = valid
        wrongMagic[0] = UInt8(ascii: "X")
        var version = valid
        version[4] = 9
        let noConfig = dir.appendingPathComponent("no-config")
        try FileManager.default.createDirectory(at: noConfig, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.fixture("safetensors/model.safetensors"), toPath: noConfig.appendingPathComponent("model.safetensors").path)
        let logits = dir.appendingPathComponent("logits.npy").path
        let cases: [([String], Int32, [String])] = [
            (["--prompt-ids", "1", "--model", try file("head.gguf", Array(valid.prefix(10)))], 1, ["head.gguf", "header"]),
            (["--prompt-ids", "1", "--model", try file("meta.gguf", Array(valid.prefix(3000)))], 1, ["meta.gguf", "key 'tokenizer.ggml."]),
            (["--prompt-ids", "1", "--model", try file("data.gguf", Array(valid.prefix(valid.count - 1000)))], 1, ["data.gguf", "tensor", "beyond the file"]),
            (["--prompt-ids", "1", "--model", try file("magic.gguf", wrongMagic)], 1, ["magic.gguf", "magic"]),
            (["--prompt-ids", "1", "--model", try file("version.gguf", version)], 1, ["version.gguf", "version 9 is not supported"]),
            (["--prompt-ids", "1", "--model", noConfig.path], 1, ["config.json"]),
            (["--prompt-ids", "1", "--model", dir.appendingPathComponent("missing.gguf").path], 1, ["missing.gguf", "no such file"]),
            (["--model", Self.fixture("tq2_0.gguf"), "--prompt-ids", "0,480"], 1, ["prompt id 480", "vocabulary of 480"]),
            (["--model", Self.fixture("tq2_0.gguf"), "--prompt-ids", "0,-1"], 1, ["prompt id -1"]),
            (["--model", Self.fixture("tq2_0.gguf"), "--prompt-ids", "1,x"], 2, ["item 2 'x'"]),
            (["--model", Self.fixture("tq2_0.gguf"), "--prompt-ids", "1", "--max-new-tokens", "65"], 1, ["65 positions", "max_position_embeddings"]),
            (["--model", Self.fixture("tq2_0.gguf")], 2, ["--prompt-ids 1,2,3 or --prompt TEXT"]),
            (["--model", Self.fixture("tq2_0.gguf"), "--prompt-ids", "1", "--prompt", "a"], 2, ["not both"]),
            (["--prompt-ids", "1"], 2, ["missing --model"]),
            (["--model", Self.fixture("tq2_0.gguf"), "--prompt-ids", "1", "--kv-cache", "fp8"], 2, ["fp8"]),
            (["--model", Self.fixture("tq2_0.gguf"), "--prompt-ids", "1", "--dump-logits", Self.fixture("tq2_0.gguf")], 1, ["never writes over its inputs"]),
            (["--model", Self.fixture("tq2_0.gguf"), "--prompt-ids", "1", "--dump-logits", dir.appendingPathComponent("none/l.npy").path], 1, ["none"]),
            (["--model", Self.fixture("tq2_0.gguf"), "--prompt-ids", "1", "--max-cycles", "1000", "--dump-logits", logits], 1, ["cycle"]),
        ]
        for (arguments, status, fragments) in cases {
            let run = Run(["generate"] + arguments)
            #expect(run.status == status, "\(arguments): \(run.err)")
            for fragment in fragments { #expect(run.err.contains(fragment), "\(arguments): '\(fragment)' not in \(run.err)") }
        }
        #expect(!FileManager.default.fileExists(atPath: logits), "a failed run left its --dump-logits output")
    }
}
