import Foundation
import NMPSimulator
import NMPTestSupport
import Testing
@testable import NMPRuntime

/// The bytes of `fuzz/crashes/<target>/<name>` (empty when missing).
func fuzzCrashBytes(_ target: String, _ name: String) -> [UInt8] {
    let url = repositoryRoot.appendingPathComponent("fuzz/crashes/\(target)/\(name)")
    return (try? Data(contentsOf: url)).map { [UInt8]($0) } ?? []
}

/// Every input the fuzz-npy target (fuzz/FuzzNPY.swift) ever crashed on, and the tricky
/// inputs kept with them (fuzz/crashes/npy), replayed with the target's checks: `NPY.read`
/// answers with an array or an error; an array has product(shape) * itemSize data bytes,
/// its accessors give `count` elements, and it survives `NPY.encode` and a second read.
struct NPYFuzzCrashReplayTests {
    @Test(arguments: repositoryFiles(in: "fuzz/crashes/npy"))
    func npyInput(_ name: String) {
        let array: NPYArray
        do throws(NPYError) {
            array = try NPY.read(fuzzCrashBytes("npy", name), source: name)
        } catch {
            #expect(error.description.hasPrefix("\(name): "))
            return
        }
        let elements = NPYArray.byteCount(shape: array.shape, itemSize: 1)
        #expect(elements != nil, "\(name): shape \(array.shape)")
        guard let elements else { return }
        #expect(NPYArray.byteCount(shape: array.shape, itemSize: array.dtype.itemSize) == array.data.count, "\(name)")
        #expect(array.count == elements, "\(name)")
        #expect(array.floats().count == elements, "\(name)")
        #expect(array.int8s()?.count == (array.dtype == .int8 ? elements : nil), "\(name)")
        #expect(array.int32s()?.count == (array.dtype == .int32 ? elements : nil), "\(name)")
        #expect(array.float16BitPatterns()?.count == (array.dtype == .float16 ? elements : nil), "\(name)")
        #expect((try? NPY.read(NPY.encode(array), source: "encoded")) == array, "\(name)")
    }
}

/// Every input the fuzz-hfconfig target (fuzz/FuzzModelConfig.swift) ever crashed on, and
/// the tricky inputs kept with them (fuzz/crashes/hfconfig), replayed with the target's
/// checks: `ModelConfig(json:source:)` answers with a config or a short error; an accepted
/// config's parameter counts compute, and planning one decode step on the default machine
/// (no simulation) answers with a plan or an error.
struct ModelConfigFuzzCrashReplayTests {
    @Test(arguments: repositoryFiles(in: "fuzz/crashes/hfconfig"))
    func hfconfigInput(_ name: String) {
        let model: ModelConfig
        do throws(ModelConfigError) {
            model = try ModelConfig(json: fuzzCrashBytes("hfconfig", name), source: name)
        } catch {
            // "A few hundred bytes" whatever the input quotes (fuzz/FuzzModelConfig.swift).
            #expect(error.description.utf8.count <= 512, "\(name): \(error.description.utf8.count) bytes")
            return
        }
        #expect(model.linearLayers.count == 7)
        let parts = [model.ternaryParameters, model.embeddingParameters, model.lmHeadParameters, model.normParameters]
        #expect(model.totalParameters == parts.reduce(0, +), "\(name)")
        do throws(CompileError) {
            let plan = try DecoderPlan(model: model, machine: MachineConfig(), tokens: 1, context: 0)
            #expect(plan.simulatedLayers == min(2, model.layers), "\(name)")
        } catch {
            #expect(!error.message.isEmpty)
        }
    }

    /// fuzz/crashes/hfconfig/plan-row-block-bytes-overflow.json: 2e18 FFN rows of one input
    /// feature made BitLinearPlan's DRAM layout (row blocks * block bytes) overflow Int.
    @Test func hugeFFNIsAPlanErrorNotAnOverflow() throws {
        let model = try ModelConfig(json: fuzzCrashBytes("hfconfig", "plan-row-block-bytes-overflow.json"), source: "x")
        #expect(throws: CompileError.self) {
            _ = try DecoderPlan(model: model, machine: MachineConfig(), tokens: 1, context: 0)
        }
        do {
            _ = try BitLinearPlan(tokens: 1, inFeatures: 1, outFeatures: Int.max, config: MachineConfig())
            Issue.record("a layer of Int.max rows was planned")
        } catch {
            #expect(error.message.contains("(more than 2^63 bytes) do not fit"), "\(error)")
        }
    }
}

/// Every input the fuzz-weights target (fuzz/FuzzDecoderWeights.swift) found
/// (fuzz/crashes/weights), replayed as the target does: its first byte picks a file of a
/// valid 1-layer checkpoint directory, the rest replaces that file; `DecoderWeights.load`
/// answers with weights of the config's shapes or an error naming the file or tensor.
struct DecoderWeightsFuzzCrashReplayTests {
    /// The checkpoint's files in the target's order, with valid contents.
    static var files: [(name: String, bytes: [UInt8])] {
        let config = #"{"model_type": "bitnet", "hidden_size": 8, "intermediate_size": 12, "num_hidden_layers": 1, "num_attention_heads": 2, "num_key_value_heads": 1, "vocab_size": 5, "hidden_act": "relu2", "max_position_embeddings": 16, "rms_norm_eps": 1e-5, "tie_word_embeddings": false}"#
        func floats(_ shape: [Int]) -> [UInt8] { NPY.encode(.float32([Float](repeating: 1, count: shape.reduce(1, *)), shape: shape)) }
        func trits(_ shape: [Int]) -> [UInt8] { NPY.encode(.int8([Int8](repeating: -1, count: shape.reduce(1, *)), shape: shape)) }
        var list: [(String, [UInt8])] = [("config.json", Array(config.utf8)), ("model.embed_tokens.weight.npy", floats([5, 8])),
                                         ("lm_head.weight.npy", floats([5, 8])), ("model.norm.weight.npy", floats([8]))]
        for (name, shape) in [("self_attn.q_proj", [8, 8]), ("self_attn.k_proj", [4, 8]), ("self_attn.v_proj", [4, 8]), ("self_attn.o_proj", [8, 8]),
                              ("mlp.gate_proj", [12, 8]), ("mlp.up_proj", [12, 8]), ("mlp.down_proj", [8, 12])] {
            list.append(("model.layers.0." + name + ".weight.npy", trits(shape)))
            list.append(("model.layers.0." + name + ".weight_scale.npy", floats([1])))
        }
        for (name, n) in [("input_layernorm", 8), ("post_attention_layernorm", 8), ("self_attn.attn_sub_norm", 8), ("mlp.ffn_sub_norm", 12)] {
            list.append(("model.layers.0." + name + ".weight.npy", floats([n])))
        }
        return list
    }

    @Test(arguments: repositoryFiles(in: "fuzz/crashes/weights"))
    func weightsInput(_ name: String) throws {
        let input = fuzzCrashBytes("weights", name)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("nmp-weights-replay-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let files = Self.files
        let chosen = input.isEmpty ? 0 : Int(input[0]) % files.count
        for (index, file) in files.enumerated() {
            let bytes = index == chosen ? Array(input.dropFirst()) : file.bytes
            try Data(bytes).write(to: directory.appendingPathComponent(file.name))
        }
        do throws(DecoderLoadError) {
            let weights = try DecoderWeights.load(directory: directory.path)
            #expect(weights.layers.count == weights.config.layers)
        } catch {
            #expect(!error.file.isEmpty || !error.tensor.isEmpty, "\(name): \(error.description)")
        }
    }
}

/// Every input the fuzz-safetensors target (fuzz/FuzzSafeTensors.swift) found, and the
/// tricky inputs kept with them (fuzz/crashes/safetensors), replayed with the target's
/// checks: `SafeTensorsFile(bytes:path:)` answers with a file or a short error naming the
/// file; an accepted file's tensors lie within the data buffer, hold product(shape) * item
/// size bytes, cover the buffer, and read back with that many elements; then, as the one
/// `model.safetensors` of a 1-layer checkpoint directory, the decoder mapping answers with
/// weights or an error naming its file or tensor (an empty file leaked Foundation's read
/// buffer there).
struct SafeTensorsFuzzCrashReplayTests {
    @Test(arguments: repositoryFiles(in: "fuzz/crashes/safetensors"))
    func safetensorsInput(_ name: String) throws {
        let input = fuzzCrashBytes("safetensors", name)
        try mapOntoDecoder(input, name)
        let file: SafeTensorsFile
        do throws(SafeTensorsError) {
            file = try SafeTensorsFile(bytes: Data(input), path: name)
        } catch {
            #expect(error.file == name && error.description.utf8.count <= 1024, "\(error.description.prefix(300))")
            return
        }
        let header = Int(input.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
        let dataSize = input.count - 8 - header
        var covered = 0
        for tensor in file.names {
            let info = try file.info(tensor)
            let raw = try file.data(tensor)
            #expect(info.offsets.upperBound <= dataSize && raw.count == info.count * info.dtype.itemSize, "\(name): \(tensor)")
            if info.dtype.isFloat { #expect(try file.floats(tensor).count == info.count, "\(name): \(tensor)") }
            covered += raw.count
        }
        #expect(covered == dataSize, "\(name)")
    }

    func mapOntoDecoder(_ input: [UInt8], _ name: String) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("nmp-safetensors-replay-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = #"{"model_type": "bitnet", "hidden_size": 8, "intermediate_size": 12, "num_hidden_layers": 1, "num_attention_heads": 2, "num_key_value_heads": 1, "vocab_size": 5, "hidden_act": "relu2", "max_position_embeddings": 32, "rms_norm_eps": 1e-5, "tie_word_embeddings": false}"#
        try Data(config.utf8).write(to: directory.appendingPathComponent("config.json"))
        try Data(input).write(to: directory.appendingPathComponent("model.safetensors"))
        do throws(DecoderLoadError) {
            let weights = try DecoderWeights.load(directory: directory.path)
            #expect(weights.layers.count == weights.config.layers, "\(name)")
        } catch {
            #expect(error.description.utf8.count <= 1024 && (!error.file.isEmpty || !error.tensor.isEmpty), "\(name): \(error.description.prefix(300))")
        }
    }
}

/// Every input the fuzz-gguf target (fuzz/FuzzGGUF.swift) found (fuzz/crashes/gguf),
/// replayed with the target's checks: `GGUFFile(bytes:source:)` and the decoding of every
/// tensor answer with values or an error that starts with the file's name, names its key or
/// tensor (or the header, a metadata pair or tensor info by index) and is at most 1024 bytes.
struct GGUFFuzzCrashReplayTests {
    func check(_ error: GGUFError, _ name: String) {
        let placed = !error.key.isEmpty || !error.tensor.isEmpty || error.message.contains("header")
            || error.message.contains("metadata pair") || error.message.contains("tensor info")
        #expect(placed && error.description.hasPrefix("\(name): ") && error.description.utf8.count <= 1024, "\(error.description)")
    }

    @Test(arguments: repositoryFiles(in: "fuzz/crashes/gguf"))
    func ggufInput(_ name: String) {
        let file: GGUFFile
        do throws(GGUFError) {
            file = try GGUFFile(bytes: fuzzCrashBytes("gguf", name), source: name)
        } catch {
            check(error, name)
            return
        }
        for info in file.tensors {
            do throws(GGUFError) {
                #expect(try file.floats(info.name).count == info.elementCount)
                if [GGMLType.tq1_0, .tq2_0, .i2_s].contains(info.type) {
                    #expect(try file.trits(info.name).trits.allSatisfy { (-1...1).contains($0) })
                }
            } catch {
                check(error, name)
            }
        }
    }
}

/// Every input the fuzz-tokenizer target (fuzz/FuzzTokenizer.swift) found, and the tricky
/// inputs kept with them (fuzz/crashes/tokenizer), replayed with the target's checks:
/// `BPETokenizer(tokenizerJSON:source:)` answers with a tokenizer or a short error naming
/// the file and its field; a tokenizer encodes a sample and the input itself read as text
/// into ids of its vocabulary, BOS first when it adds one, streams them as `decode` does,
/// and gives the text back when every byte has a token and the special tokens are plain.
struct TokenizerFuzzCrashReplayTests {
    static let sample = "It's 1234567 WE'LL   see\r\n\n\t x  \u{A0}café cafe\u{301} 日本語 Привет 👨‍👩‍👧 <|eot_id|><s> ab"

    @Test(arguments: repositoryFiles(in: "fuzz/crashes/tokenizer"))
    func tokenizerInput(_ name: String) {
        let input = fuzzCrashBytes("tokenizer", name)
        let tokenizer: BPETokenizer
        do throws(TokenizerError) {
            tokenizer = try BPETokenizer(tokenizerJSON: input, source: name)
        } catch {
            let placed = !error.field.isEmpty || error.message.hasPrefix("malformed JSON") || error.message.hasPrefix("the document is")
            #expect(placed && error.file == name && error.description.utf8.count <= 1024, "\(error.description.prefix(300))")
            return
        }
        for text in [Self.sample, String(decoding: input, as: UTF8.self)] {
            let plain = tokenizer.encode(text, addSpecialTokens: false)
            let ids = tokenizer.encode(text)
            #expect(ids.allSatisfy { (0..<tokenizer.vocabularySize).contains($0) }, "\(name)")
            #expect(ids == (tokenizer.addsBOS ? [tokenizer.bosID!] : []) + plain, "\(name)")
            var stream = TextStream(tokenizer: tokenizer)
            #expect(plain.map { stream.append($0) }.joined() + stream.finish() == tokenizer.decode(plain), "\(name)")
            let everyByte = ByteLevel.characterOfByte.allSatisfy { tokenizer.id(of: String(Character($0))) != nil }
            let plainSpecials = tokenizer.specialTokenIDs.allSatisfy {
                tokenizer.tokens[$0].unicodeScalars.allSatisfy { (0x21...0x7E).contains($0.value) }
            }
            if everyByte && plainSpecials {
                #expect(tokenizer.decode(plain) == text, "\(name)")
            }
        }
    }
}
