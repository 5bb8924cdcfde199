import NMPRuntime
import NMPSimulator
import NMPTestSupport
import Testing

/// `DecoderSimulation` (behind `nmp model`) on a tiny decoder whose DRAM traffic is worked out
/// by hand from what each operation must move (ISA.md chapter 11), independent of the code:
/// every operation reads its inputs and weights once and writes its outputs once.
///
/// The model: hidden 64, FFN 128 (relu2), 4 query heads and 2 key/value heads of 16, vocab
/// 100, untied LM head, 2 layers; the default machine (ROWS 32, VLEN 64, base3: a tile of
/// 32 rows x 13 bytes = 416 B); bf16 KV cache. Packed projections: q 2 tiles (832 B), k and
/// v 1 (416 B), o 2 (832 B), gate and up 4 (1664 B), down 2 x 2 (1664 B).
struct DecoderInvariantTests {
    static let model = ModelConfig(modelType: "bitnet", hiddenSize: 64, intermediateSize: 128, layers: 2, attentionHeads: 4,
                                   keyValueHeads: 2, headDim: 16, vocabSize: 100, activation: .relu2, rmsNormEps: 1e-5,
                                   ropeTheta: 500_000, maxPositions: 64, tiedEmbeddings: false)

    /// DRAM bytes per operation of a decode token after 10 tokens of context (11 keys), over
    /// both layers, by hand (f32 rows are 4 bytes per value, bf16 2):
    static let decodeBytes: [DecoderOperation: Int] = [
        .embedding: 4 + 128 + 256,                           // id, bf16 row, f32 row out
        .inputNorm: 2 * (128 + 256 + 256),                   // bf16 weight, row in, row out
        .qProj: 2 * (832 + 256 + 256),                       // tiles, input, output
        .kProj: 2 * (416 + 128),                             // tiles, output: q's int8 codes of the same input
        .vProj: 2 * (416 + 128),
        .rope: 2 * ((256 + 64 + 256) + (128 + 64 + 128)),    // q and k rows in and out, cos and sin of 8
        .kvCacheWrite: 2 * 2 * (128 + 2 * 16 * 2),           // k and v: f32 row in, bf16 per KV head out
        // Attention (the matrix kernel, a bf16 cache): the queries, 11 cached keys and 11
        // values of both KV heads, zero rows filling each head's values to a tile of ROWS 32
        // (21 rows of 32 B), the output. The block stream runs ahead across the score and
        // value regions (a DMA counts where it is enqueued), so only their sum is by hand.
        .attentionScores: 2 * (256 + 704 + 704 + 1344 + 256),   // 2 KV heads x 11 rows x 32 B; 2 x 21 x 32 B
        .softmax: 0,
        .attentionValues: 0,
        .attentionSubNorm: 2 * (128 + 256 + 256),
        .oProj: 2 * (832 + 256 + 256),
        .postAttentionNorm: 2 * (128 + 256 + 256),
        .gateProj: 2 * (1664 + 256 + 512),
        .upProj: 2 * (1664 + 512),                           // gate's codes of the same input
        .activation: 2 * (512 + 512 + 512),                  // gate and up in, product out
        .ffnSubNorm: 2 * (256 + 512 + 512),
        .downProj: 2 * (1664 + 512 + 256),
        .residual: 2 * 2 * (256 + 256 + 256),                // two adds per layer: x, o in; x out
        .finalNorm: 128 + 256 + 256,
        .lmHead: 256 + 100 * 64 * 2 + 400,                   // hidden in, bf16 head, logits out
    ]

    @Test func decodeTokenMovesExactlyTheBytesItMust() throws {
        var machine = MachineConfig()
        machine.dramSize = 1 << 24
        let s = try DecoderSimulation(model: Self.model, machine: machine, tokens: 1, context: 10)
        #expect(s.operations.map(\.operation) == DecoderOperation.allCases)
        let attention: Set<DecoderOperation> = [.attentionScores, .attentionValues]
        let attentionBytes: Int = s.operations.filter { attention.contains($0.operation) }.reduce(0) { $0 + $1.dramBytes }
        #expect(attentionBytes == Self.decodeBytes[.attentionScores])
        for op in s.operations where !attention.contains(op.operation) {
            #expect(op.dramBytes == Self.decodeBytes[op.operation], "\(op.operation.rawValue): \(op.dramBytes)")
            // No operation beats streaming its bytes.
            #expect(op.cycles * machine.dramBytesPerCycle >= op.dramBytes, "\(op.operation.rawValue)")
        }
        #expect(s.dramBytes == Self.decodeBytes.values.reduce(0, +))
        // Every trit-MAC of the projections: 2 layers x 36,864 weights (no padding here).
        let macs = s.operations.reduce(0) { $0 + $1.events[.tritAdd] + $1.events[.tritSub] + $1.events[.tritSkip] }
        #expect(macs == 2 * 36_864)
        #expect(s.simulatedShare == 1)
        #expect(s.cycles == s.run.result.counters.cycles, "two layers simulated: the totals are the run's")
    }

    /// A prefill of 3 tokens from position 0: token t attends t + 1 keys, so each KV head's
    /// keys and values are read 1 + 2 + 3 = 6 times per layer, and its values filled with
    /// 31 + 30 + 29 = 90 zero rows to whole tiles of 32; the LM head runs once.
    @Test func prefillAttendsCausally() throws {
        var machine = MachineConfig()
        machine.dramSize = 1 << 24
        let s = try DecoderSimulation(model: Self.model, machine: machine, tokens: 3, context: 0)
        let bytes = Dictionary(uniqueKeysWithValues: s.operations.map { ($0.operation, $0.dramBytes) })
        // Per layer: queries and outputs of 3 tokens, keys and values, zero rows.
        let attentionBytes: Int = bytes[.attentionScores]! + bytes[.attentionValues]!
        let expected: Int = 2 * (768 + 384 + 384 + 5760 + 768)   // 6 x 2 x 32 B each; 90 x 2 x 32 B
        #expect(attentionBytes == expected)
        #expect(bytes[.lmHead] == 256 + 100 * 64 * 2 + 400)
        #expect(bytes[.embedding] == 3 * (4 + 128 + 256))
    }

    /// Deeper models add exactly one more second layer each: f(L) = f(2) + (L - 2) (f(3) - f(2)).
    @Test func costIsAffineInDepth() throws {
        var machine = MachineConfig()
        machine.dramSize = 1 << 24
        var costs: [Int: (Int, Int)] = [:]
        for layers in [2, 3, 7] {
            var m = Self.model
            m.layers = layers
            let s = try DecoderSimulation(model: m, machine: machine, tokens: 1, context: 4)
            costs[layers] = (s.cycles, s.dramBytes)
        }
        let (c2, b2) = costs[2]!, (c3, b3) = costs[3]!, (c7, b7) = costs[7]!
        #expect(c7 == c2 + 5 * (c3 - c2))
        #expect(b7 == b2 + 5 * (b3 - b2))
    }
}
