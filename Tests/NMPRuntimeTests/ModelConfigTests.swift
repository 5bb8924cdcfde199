import Foundation
import NMPTestSupport
import Testing
@testable import NMPRuntime

/// Reading Hugging Face `config.json` files: the four example checkpoints with parameter
/// counts derived by hand from their shapes, the defaults, and every class of error with the
/// field it names; no input traps.
struct ModelConfigTests {
    static func example(_ name: String) throws -> [UInt8] {
        let url = repositoryRoot.appendingPathComponent("examples").appendingPathComponent(name)
        return Array(try Data(contentsOf: url))
    }

    static func parse(_ json: String) throws(ModelConfigError) -> ModelConfig {
        try ModelConfig(json: Array(json.utf8), source: "config.json")
    }

    /// The error thrown for `json`, or nil when it parses.
    static func error(_ json: String) -> ModelConfigError? {
        do {
            _ = try parse(json)
            return nil
        } catch {
            return error
        }
    }

    /// A minimal valid config, as key/value JSON fragments in order; tests replace or drop
    /// entries.
    static let minimal: [(String, String)] = [
        ("model_type", "\"bitnet\""), ("hidden_size", "64"), ("intermediate_size", "160"),
        ("num_hidden_layers", "2"), ("num_attention_heads", "4"), ("num_key_value_heads", "2"),
        ("vocab_size", "100"), ("hidden_act", "\"relu2\""), ("rms_norm_eps", "1e-05"),
        ("max_position_embeddings", "128"),
    ]

    static func json(_ pairs: [(String, String)]) -> String {
        "{\n" + pairs.map { "  \"\($0.0)\": \($0.1)" }.joined(separator: ",\n") + "\n}\n"
    }

    static func json(replacing key: String, with value: String?) -> String {
        var pairs = minimal
        if let i = pairs.firstIndex(where: { $0.0 == key }) {
            if let value { pairs[i].1 = value } else { pairs.remove(at: i) }
        } else if let value {
            pairs.append((key, value))
        }
        return json(pairs)
    }

    // MARK: The example checkpoints

    /// microsoft/bitnet-b1.58-2B-4T (arXiv 2504.12285 and its config): q, o 2560 x 2560; k, v 640 x 2560; gate, up
    /// 6912 x 2560; down 2560 x 6912, over 30 layers = 2,084,044,800 ternary weights.
    @Test func bitnet2B4T() throws {
        let config = try ModelConfig(json: try Self.example("bitnet-b1.58-2B-4T.config.json"), source: "2B-4T")
        #expect(config.modelType == "bitnet")
        #expect(config.hiddenSize == 2560 && config.intermediateSize == 6912 && config.layers == 30)
        #expect(config.attentionHeads == 20 && config.keyValueHeads == 5 && config.headDim == 128)
        #expect(config.vocabSize == 128_256 && config.activation == .relu2)
        #expect(config.rmsNormEps == 1e-5 && config.ropeTheta == 500_000 && config.maxPositions == 4096)
        #expect(config.tiedEmbeddings)

        let shapes: [(String, Int, Int)] = [
            ("q_proj", 2560, 2560), ("k_proj", 640, 2560), ("v_proj", 640, 2560), ("o_proj", 2560, 2560),
            ("gate_proj", 6912, 2560), ("up_proj", 6912, 2560), ("down_proj", 2560, 6912),
        ]
        #expect(config.linearLayers == shapes.map { LinearShape(name: $0.0, outFeatures: $0.1, inFeatures: $0.2) })
        let perLayer = 2560 * 2560 + 640 * 2560 + 640 * 2560 + 2560 * 2560 + 6912 * 2560 + 6912 * 2560 + 2560 * 6912
        #expect(perLayer == 69_468_160)
        #expect(config.ternaryParametersPerLayer == perLayer)
        #expect(config.ternaryParameters == 30 * perLayer)
        #expect(config.ternaryParameters == 2_084_044_800)
        #expect(config.embeddingParameters == 128_256 * 2560)  // 328,335,360
        #expect(config.lmHeadParameters == 0)
        #expect(config.normParameters == 30 * (2560 + 2560 + 2560 + 6912) + 2560)  // 440,320
        #expect(config.totalParameters == 2_412_820_480)
    }

    /// 1bitLLM/bitnet_b1_58-large (700M): hidden 1536, FFN 4096, 24 layers, 16 heads (96 each).
    /// Per layer: q, k, v, o 1536 x 1536 = 2,359,296 each (9,437,184); gate, up 4096 x 1536,
    /// down 1536 x 4096 = 6,291,456 each (18,874,368); 28,311,552 in all; x 24 = 679,477,248.
    /// Embedding 32002 x 1536 = 49,155,072 (tied head); norms 24 x (3 x 1536 + 4096) + 1536
    /// = 210,432. Total 728,842,752.
    @Test func bitnetLarge() throws {
        let config = try ModelConfig(json: try Self.example("bitnet_b1_58-large.config.json"), source: "large")
        #expect(config.modelType == "llama" && config.activation == .silu)
        #expect(config.headDim == 96 && config.keyValueHeads == 16 && config.ropeTheta == 10_000)
        #expect(config.maxPositions == 2048 && config.tiedEmbeddings)
        #expect(config.ternaryParametersPerLayer == 4 * 1536 * 1536 + 3 * 4096 * 1536)
        #expect(config.ternaryParametersPerLayer == 28_311_552)
        #expect(config.ternaryParameters == 679_477_248)
        #expect(config.embeddingParameters == 49_155_072)
        #expect(config.lmHeadParameters == 0)
        #expect(config.normParameters == 210_432)
        #expect(config.totalParameters == 728_842_752)
    }

    /// 1bitLLM/bitnet_b1_58-xl (1.3B): hidden 2048, FFN 5460, 24 layers, 32 heads (64 each).
    /// Per layer: 4 x 2048 x 2048 = 16,777,216 plus 3 x 5460 x 2048 = 33,546,240: 50,323,456;
    /// x 24 = 1,207,762,944. Embedding 32002 x 2048 = 65,540,096; norms
    /// 24 x (3 x 2048 + 5460) + 2048 = 280,544. Total 1,273,583,584.
    @Test func bitnetXL() throws {
        let config = try ModelConfig(json: try Self.example("bitnet_b1_58-xl.config.json"), source: "xl")
        #expect(config.headDim == 64 && config.activation == .silu)
        #expect(config.ternaryParametersPerLayer == 4 * 2048 * 2048 + 3 * 5460 * 2048)
        #expect(config.ternaryParametersPerLayer == 50_323_456)
        #expect(config.ternaryParameters == 1_207_762_944)
        #expect(config.embeddingParameters == 65_540_096)
        #expect(config.normParameters == 280_544)
        #expect(config.totalParameters == 1_273_583_584)
    }

    /// 1bitLLM/bitnet_b1_58-3B: hidden 3200, FFN 8640, 26 layers, 32 heads (100 each).
    /// Per layer: 4 x 3200 x 3200 = 40,960,000 plus 3 x 8640 x 3200 = 82,944,000:
    /// 123,904,000; x 26 = 3,221,504,000. Embedding 32002 x 3200 = 102,406,400; norms
    /// 26 x (3 x 3200 + 8640) + 3200 = 477,440. Total 3,324,387,840.
    @Test func bitnet3B() throws {
        let config = try ModelConfig(json: try Self.example("bitnet_b1_58-3B.config.json"), source: "3B")
        #expect(config.headDim == 100 && config.layers == 26)
        #expect(config.ternaryParametersPerLayer == 4 * 3200 * 3200 + 3 * 8640 * 3200)
        #expect(config.ternaryParametersPerLayer == 123_904_000)
        #expect(config.ternaryParameters == 3_221_504_000)
        #expect(config.embeddingParameters == 102_406_400)
        #expect(config.normParameters == 477_440)
        #expect(config.totalParameters == 3_324_387_840)
    }

    // MARK: Defaults and tolerated input

    @Test func defaults() throws {
        // num_key_value_heads, head_dim, rope_theta, tie_word_embeddings absent.
        var pairs = Self.minimal.filter { $0.0 != "num_key_value_heads" }
        var config = try Self.parse(Self.json(pairs))
        #expect(config.keyValueHeads == 4 && config.headDim == 16)
        #expect(config.ropeTheta == 500_000)  // BitNetConfig's default
        #expect(!config.tiedEmbeddings)
        #expect(config.lmHeadParameters == 100 * 64)

        pairs[0].1 = "\"llama\""
        config = try Self.parse(Self.json(pairs))
        #expect(config.ropeTheta == 10_000)  // LlamaConfig's default

        // null means "take the default", as in HF.
        config = try Self.parse(Self.json(replacing: "num_key_value_heads", with: "null"))
        #expect(config.keyValueHeads == 4)
        config = try Self.parse(Self.json(replacing: "head_dim", with: "null"))
        #expect(config.headDim == 16)

        // The transformers v5 layout of the RoPE base; an integer is fine for a float.
        config = try Self.parse(Self.json(replacing: "rope_parameters", with: #"{"rope_type": "default", "rope_theta": 250000}"#))
        #expect(config.ropeTheta == 250_000)

        // An explicit head_dim need not divide hidden_size; shapes follow it.
        config = try Self.parse(Self.json(Self.minimal.map { $0.0 == "hidden_size" ? ($0.0, "66") : $0 } + [("head_dim", "8")]))
        #expect(config.headDim == 8)
        #expect(config.linearLayers[0] == LinearShape(name: "q_proj", outFeatures: 32, inFeatures: 66))
        #expect(config.linearLayers[1] == LinearShape(name: "k_proj", outFeatures: 16, inFeatures: 66))
        #expect(config.linearLayers[3] == LinearShape(name: "o_proj", outFeatures: 66, inFeatures: 32))
    }

    /// Unknown keys of any shape, a byte-order mark and duplicate unknown keys are ignored.
    @Test func unknownKeysAreIgnored() throws {
        let extra = Self.minimal + [
            ("quantization_config", #"{"quant_method": "bitnet", "nested": [1, 2.5, {"a": null}]}"#),
            ("architectures", #"["BitNetForCausalLM"]"#), ("torch_dtype", "\"bfloat16\""),
            ("weird", "-1.5e-300"), ("weird", "true"), ("text", #""caf\u00e9 \ud83d\ude00 \n""#),
        ]
        let config = try ModelConfig(json: [0xEF, 0xBB, 0xBF] + Array(Self.json(extra).utf8), source: "config.json")
        #expect(config == (try Self.parse(Self.json(Self.minimal))))
    }

    // MARK: Errors

    /// Each required key, removed, is named.
    @Test(arguments: ["model_type", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
                      "vocab_size", "hidden_act", "rms_norm_eps", "max_position_embeddings"])
    func missingRequiredKey(_ key: String) {
        let error = Self.error(Self.json(replacing: key, with: nil))
        #expect(error == ModelConfigError(source: "config.json", field: key, message: "missing required key"))
    }

    @Test(arguments: [
        ("hidden_size", "\"2560\"", "expected an integer, found the string \"2560\""),
        ("hidden_size", "64.0", "expected an integer, found 64.0"),
        ("num_hidden_layers", "2e0", "expected an integer, found 2e0"),
        ("vocab_size", "true", "expected an integer, found true"),
        ("num_attention_heads", "null", "expected an integer, found null"),
        ("num_key_value_heads", "[2]", "expected an integer, found an array"),
        ("model_type", "7", "expected a string, found 7"),
        ("hidden_act", "{}", "expected a string, found an object"),
        ("rms_norm_eps", "\"1e-5\"", "expected a number, found the string \"1e-5\""),
        ("rope_theta", "false", "expected a number, found false"),
        ("tie_word_embeddings", "1", "expected true or false, found 1"),
        ("rope_parameters", "[]", "expected an object, found an array"),
    ])
    func wrongType(_ key: String, _ value: String, _ message: String) {
        #expect(Self.error(Self.json(replacing: key, with: value)) == ModelConfigError(source: "config.json", field: key, message: message))
    }

    @Test(arguments: [
        ("hidden_size", "0", "must be positive (got 0)"),
        ("intermediate_size", "-160", "must be positive (got -160)"),
        ("num_hidden_layers", "-0", "must be positive (got 0)"),
        ("num_key_value_heads", "0", "must be positive (got 0)"),
        ("head_dim", "0", "must be positive (got 0)"),
        ("vocab_size", "-1", "must be positive (got -1)"),
        ("max_position_embeddings", "0", "must be positive (got 0)"),
        ("rms_norm_eps", "0", "must be positive (got 0)"),
        ("rms_norm_eps", "-1e-5", "must be positive (got -1e-5)"),
        ("rope_theta", "0.0", "must be positive (got 0.0)"),
        ("hidden_size", "99999999999999999999", "99999999999999999999 is out of range"),
        ("rms_norm_eps", "1e400", "1e400 is out of range"),
    ])
    func outOfRange(_ key: String, _ value: String, _ message: String) {
        #expect(Self.error(Self.json(replacing: key, with: value)) == ModelConfigError(source: "config.json", field: key, message: message))
    }

    @Test func divisibility() {
        // hidden_size 66 is not a multiple of 4 heads, and head_dim is absent.
        #expect(Self.error(Self.json(replacing: "hidden_size", with: "66")) == ModelConfigError(
            source: "config.json", field: "hidden_size",
            message: "must be a multiple of num_attention_heads (4) when head_dim is absent (got 66)"))
        // 4 heads cannot be shared by 3 key/value heads.
        #expect(Self.error(Self.json(replacing: "num_key_value_heads", with: "3")) == ModelConfigError(
            source: "config.json", field: "num_key_value_heads",
            message: "num_attention_heads (4) must be a multiple of num_key_value_heads (got 3)"))
    }

    @Test func unsupportedActivation() {
        let error = Self.error(Self.json(replacing: "hidden_act", with: "\"gelu\""))
        #expect(error == ModelConfigError(source: "config.json", field: "hidden_act",
                                          message: "unsupported activation \"gelu\" (supported: \"relu2\", \"silu\")"))
        #expect(error?.description == "config.json: field 'hidden_act': unsupported activation \"gelu\" (supported: \"relu2\", \"silu\")")
    }

    @Test func duplicateKnownKey() {
        let error = Self.error(Self.json(Self.minimal + [("hidden_size", "128")]))
        #expect(error == ModelConfigError(source: "config.json", field: "hidden_size", message: "appears more than once"))
    }

    @Test func overflowingSizesAreErrorsNotTraps() {
        let huge = "4611686018427387904"  // 2^62
        for key in ["hidden_size", "intermediate_size", "vocab_size", "num_hidden_layers", "head_dim"] {
            var pairs = Self.minimal + [("head_dim", "16")]
            if key == "hidden_size" {
                pairs = pairs.map { $0.0 == "hidden_size" ? ($0.0, huge) : $0 }
            } else if let i = pairs.firstIndex(where: { $0.0 == key }) {
                pairs[i].1 = huge
            }
            let error = Self.error(Self.json(pairs))
            #expect(error?.message.contains("overflow") == true, "\(key): \(String(describing: error))")
            #expect(error?.field.isEmpty == false)
        }
    }

    @Test(arguments: [
        ("", "malformed JSON at line 1, column 1: expected a JSON object, found an empty document"),
        ("{\"hidden_size\": 64,}", "malformed JSON at line 1, column 20: expected a key in double quotes, found '}'"),
        ("{\n  \"a\": NaN\n}", "malformed JSON at line 2, column 8: expected a value, found 'N'"),
        ("{\"a\": 01}", "malformed JSON at line 1, column 8: numbers must not have leading zeros"),
        ("{\"a\": \"x", "malformed JSON at line 1, column 7: unterminated string"),
        ("{\"a\": 1} x", "malformed JSON at line 1, column 10: unexpected 'x' after the JSON value"),
        ("{\"a\": [1, 2}", "malformed JSON at line 1, column 12: expected ',' or ']', found '}'"),
        ("{\"a\": \"\\ud800\"}", "malformed JSON at line 1, column 14: unpaired UTF-16 surrogate in \\u escape"),
        (String(repeating: "[", count: 200), "malformed JSON at line 1, column 129: nested more than 128 levels deep"),
    ])
    func malformedJSON(_ text: String, _ message: String) {
        #expect(Self.error(text) == ModelConfigError(source: "config.json", field: "", message: message))
    }

    @Test func topLevelNotAnObject() {
        #expect(Self.error("[1, 2]") == ModelConfigError(source: "config.json", field: "", message: "the top level must be a JSON object, found an array"))
        #expect(Self.error("  \"config\" ")?.message == "the top level must be a JSON object, found the string \"config\"")
        #expect(Self.error("null")?.description == "config.json: the top level must be a JSON object, found null")
    }

    /// Every prefix of the 2B-4T config and thousands of random byte edits of it either parse
    /// or throw; none traps.
    @Test func noInputTraps() throws {
        let original = try Self.example("bitnet-b1.58-2B-4T.config.json")
        for length in 0..<original.count {
            _ = try? ModelConfig(json: Array(original[..<length]), source: "prefix")
        }
        var rng = SplitMix64(seed: 0xC0_4F16)
        let alphabet = Array("{}[],:\"\\-+.0123456789eEtrufalsn \n".utf8) + [0x00, 0xC3, 0xFF]
        for _ in 0..<3000 {
            var bytes = original
            for _ in 0..<(Int(rng.next() % 4) + 1) {
                let i = Int(rng.next() % UInt64(bytes.count))
                switch rng.next() % 3 {
                case 0: bytes[i] = alphabet[Int(rng.next() % UInt64(alphabet.count))]
                case 1: bytes.remove(at: i)
                default: bytes.insert(alphabet[Int(rng.next() % UInt64(alphabet.count))], at: i)
                }
                if bytes.isEmpty { bytes = [0x7B] }
            }
            _ = try? ModelConfig(json: bytes, source: "mutant")
        }
    }
}
