import Foundation
import NMPRuntime
import NMPSimulator
import Testing

/// A GGUF file mapped onto a decoder (`DecoderWeights.load(gguf:)`, `ModelConfig(gguf:)`):
/// the float-projection layout of mainline llama.cpp, and every way a file can disagree
/// with the model it claims, made by byte surgery on the fixtures. Each error names the
/// file and the tensor or metadata key.
struct GGUFModelTests {
    /// float.gguf: F16 projections holding -s, 0, +s, llama.cpp's optional `.scale`
    /// multiplied in, an untied F32 head, SiLU (architecture "bitnet" without
    /// hidden_activation). Every trit and scale as the script wrote it.
    @Test func floatProjectionsAndScaleTensors() throws {
        let w = try DecoderWeights.load(gguf: GenerationFixtures.path("float.gguf"))
        let c = w.config
        #expect(c.modelType == "bitnet" && c.activation == .silu && !c.tiedEmbeddings && c.vocabSize == 8)
        #expect(c.hiddenSize == 16 && c.intermediateSize == 32 && c.attentionHeads == 2 && c.keyValueHeads == 1 && c.headDim == 8)
        #expect(c.ropeTheta == 10_000 && c.maxPositions == 32)
        let codes = try #require(try GenerationFixtures.npy("float.trit_codes.npy").int8s()).map { UInt8(bitPattern: $0) }
        let trits = w.layers.flatMap { $0.projections.flatMap(\.weights.trits) }
        let expected = codes.flatMap { byte in (0..<4).map { Int8((byte >> (2 * $0)) & 3) - 1 } }.prefix(trits.count)
        #expect(trits == Array(expected))
        #expect(w.layers.flatMap { $0.projections.map(\.weights.scale) } == (try GenerationFixtures.npy("float.scales.npy").floats()))
        #expect(w.tableFormat == .bf16 && w.lmHead != nil)
        // It runs, bit-exact with the reference.
        let session = try DecoderSession(weights: w, machine: GenerationFixtures.machine, capacity: 6, maxTokens: 3)
        var reference = DecoderReference(weights: w, vlen: MachineConfig().vlen, attentionRows: GenerationFixtures.machine.rows)
        var input = [1, 7, 0]
        for _ in 0..<3 {
            let run = try session.step(input)
            #expect(run.logits.map(\.bitPattern) == reference.forward(input).last!.map(\.bitPattern))
            input = [Greedy.argmax(run.logits)]
        }
    }

    @Test func hfNamesMapOntoGGUFNames() {
        #expect(DecoderWeights.ggufName("model.embed_tokens.weight") == "token_embd.weight")
        #expect(DecoderWeights.ggufName("model.layers.12.self_attn.o_proj.weight") == "blk.12.attn_output.weight")
        #expect(DecoderWeights.ggufName("model.layers.0.mlp.ffn_sub_norm.weight") == "blk.0.ffn_sub_norm.weight")
        #expect(DecoderWeights.ggufName("model.layers.3.post_attention_layernorm.weight") == "blk.3.ffn_norm.weight")
        #expect(DecoderWeights.ggufName("lm_head.weight") == "output.weight")
        #expect(DecoderWeights.ggufName("model.norm.weight") == "output_norm.weight")
    }

    // MARK: Byte surgery on tq2_0.gguf

    static var valid: [UInt8] { get throws { [UInt8](try Data(contentsOf: GenerationFixtures.folder.appendingPathComponent("tq2_0.gguf"))) } }

    /// Loads `bytes` as a model from a temporary file: the error (which names the file).
    static func error(_ bytes: [UInt8]) throws -> DecoderLoadError? {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("nmp-gguf-model-\(UUID().uuidString).gguf")
        try Data(bytes).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        do throws(DecoderLoadError) {
            _ = try DecoderWeights.load(gguf: url.path)
            return nil
        } catch {
            #expect(error.file == url.path && error.description.hasPrefix(url.path + ": "))
            return error
        }
    }

    /// Replaces the first occurrence of `old` by `new` (the same length).
    static func replace(_ old: String, _ new: String, in bytes: inout [UInt8]) {
        precondition(old.utf8.count == new.utf8.count)
        let needle = Array(old.utf8)
        guard let i = (0...(bytes.count - needle.count)).first(where: { Array(bytes[$0..<($0 + needle.count)]) == needle }) else {
            Issue.record("'\(old)' not found")
            return
        }
        bytes.replaceSubrange(i..<(i + needle.count), with: Array(new.utf8))
    }

    @Test func missingTensorNamesIt() throws {
        var bytes = try Self.valid
        Self.replace("blk.1.ffn_up.weight", "blk.1.ffn_uX.weight", in: &bytes)
        let e = try #require(try Self.error(bytes))
        #expect(e.tensor == "blk.1.ffn_up.weight" && e.message.contains("no such tensor"), "\(e)")
    }

    @Test func shapeThatDisagreesWithTheMetadata() throws {
        var bytes = try Self.valid
        let at = GGUFMalformedTests.end(of: "bitnet-b1.58.feed_forward_length", in: bytes)
        GGUFMalformedTests.put32(512, at: at + 4, in: &bytes)   // after the value type
        let e = try #require(try Self.error(bytes))
        #expect(e.tensor == "blk.0.ffn_sub_norm.weight" || e.tensor == "blk.0.ffn_gate.weight", "\(e)")
        #expect(e.message.contains("shape") && e.message.contains("512"), "\(e)")
    }

    @Test func unknownArchitectureNamesTheKey() throws {
        var bytes = try Self.valid
        let at = GGUFMalformedTests.end(of: "general.architecture", in: bytes)
        // The value: type (4) + length (8) + "bitnet-b1.58".
        bytes.replaceSubrange((at + 12)..<(at + 24), with: Array("gemma2-xx.yy".utf8))
        let e = try #require(try Self.error(bytes))
        #expect(e.message.contains("general.architecture") && e.message.contains("gemma2-xx.yy"), "\(e)")
    }

    @Test func missingKeyNamesIt() throws {
        var bytes = try Self.valid
        Self.replace("bitnet-b1.58.block_count", "bitnet-b1.58.block_cnt_x", in: &bytes)
        let e = try #require(try Self.error(bytes))
        #expect(e.message.contains("bitnet-b1.58.block_count") && e.message.contains("missing"), "\(e)")
    }

    @Test func aNormOfAnotherTypeNamesTypeAndTensor() throws {
        var bytes = try Self.valid
        // blk.0.attn_norm.weight: n_dims (4), one dimension (8), then the type: F32 -> I32.
        let at = GGUFMalformedTests.end(of: "blk.0.attn_norm.weight", in: bytes)
        GGUFMalformedTests.put32(26, at: at + 12, in: &bytes)
        let e = try #require(try Self.error(bytes))
        #expect(e.tensor == "blk.0.attn_norm.weight" && e.message.contains("I32"), "\(e)")
    }

    /// A TQ2_0 block whose scale differs from the others: named with the block.
    @Test func differingBlockScaleNamesTheBlock() throws {
        var bytes = try Self.valid
        let file = try GGUFFile(bytes: bytes, source: "tq2_0")
        let info = try file.tensor("blk.0.attn_q.weight")
        let block = 3
        let d = file.dataOffset + info.offset + 66 * block + 64   // qs[64], then the fp16 d
        bytes[d] ^= 0x01
        let e = try #require(try Self.error(bytes))
        #expect(e.tensor == "blk.0.attn_q.weight" && e.message.hasPrefix("block \(block) has scale"), "\(e)")
    }

    @Test func blocksOfZerosCarryNoScale() throws {
        let trits: [Int8] = Array(repeating: 0, count: 256) + Array(repeating: 1, count: 256) + Array(repeating: 0, count: 256)
        let t = GGUFTrits(file: "f", tensor: "t", trits: trits, scales: [0, 0.5, 7], blockSize: 256)
        #expect(try t.uniformScale() == 0.5)
        let zeros = GGUFTrits(file: "f", tensor: "t", trits: [Int8](repeating: 0, count: 256), scales: [0], blockSize: 256)
        #expect(try zeros.uniformScale() == 0)
        let nan = GGUFTrits(file: "f", tensor: "t", trits: [Int8](repeating: 1, count: 256), scales: [.nan], blockSize: 256)
        #expect(throws: GGUFError.self) { try nan.uniformScale() }
    }
}
