import NMPRuntime
import NMPSimulator
import Testing

/// `DecoderSimulation` (behind `nmp model`) on a tiny decoder whose every count is worked out
/// by hand: the projections cannot beat streaming their packed weights, the cost is affine
/// in depth (one layer simulated, scaled), the host operations and the FP16 baseline have the
/// counts the architecture implies.
///
/// The model: hidden 64, FFN 128 (relu2), 4 query heads and 2 key/value heads of 16, vocab
/// 100, untied LM head. Per layer (out x in):
///
///     q_proj     64 x  64 = 4096      k_proj  32 x 64 = 2048      v_proj 32 x 64 = 2048
///     o_proj     64 x  64 = 4096      gate   128 x 64 = 8192      up    128 x 64 = 8192
///     down_proj  64 x 128 = 8192                                  sum          = 36,864
///
/// Packed on the default machine (ROWS 32, VLEN 64, base3: ceil(64 / 5) = 13 bytes per
/// packed row, a tile of 32 rows = 416 bytes; rows padded to 32, columns to 64):
///
///     q_proj  2 row blocks x 1 chunk = 2 tiles =  832 B     k_proj 1 x 1 = 416 B
///     v_proj  1 x 1 = 416 B                                 o_proj 2 x 1 = 832 B
///     gate    4 x 1 = 1664 B     up 4 x 1 = 1664 B          down   2 x 2 = 1664 B
///     per layer 7488 B, i.e. >= 117 cycles at 64 B/cycle
struct DecoderInvariantTests {
    static func tiny(layers: Int) -> ModelConfig {
        ModelConfig(modelType: "bitnet", hiddenSize: 64, intermediateSize: 128, layers: layers,
                    attentionHeads: 4, keyValueHeads: 2, headDim: 16, vocabSize: 100, activation: .relu2,
                    rmsNormEps: 1e-5, ropeTheta: 500_000, maxPositions: 128, tiedEmbeddings: false)
    }

    /// Packed bytes by hand, per projection (see the table above).
    static let packedBytes: [String: Int] = [
        "q_proj": 832, "k_proj": 416, "v_proj": 416, "o_proj": 832, "gate_proj": 1664, "up_proj": 1664, "down_proj": 1664,
    ]

    /// The same from the shape: ceil(out / ROWS) * ceil(in / VLEN) tiles of ROWS rows of
    /// ceil(VLEN / tritsPerByte) bytes.
    static func packed(out: Int, in inFeatures: Int, _ m: MachineConfig) -> Int {
        let tritsPerByte = m.packing == .base3 ? 5 : 4
        return ((out + m.rows - 1) / m.rows) * ((inFeatures + m.vlen - 1) / m.vlen) * m.rows * ((m.vlen + tritsPerByte - 1) / tritsPerByte)
    }

    static var narrowMachine: MachineConfig {
        var m = MachineConfig()
        m.vlen = 20
        m.rows = 20
        m.packing = .twoBit
        m.dramBytesPerCycle = 16
        return m
    }

    /// (a) Every projection takes at least the cycles to stream its packed weights; so do
    /// the projections together. On the default machine the packed sizes are the hand
    /// counts; on a narrow 2-bit machine they follow the padding rule.
    @Test(arguments: [false, true])
    func projectionsTakeAtLeastTheirWeightStreamingTime(_ narrow: Bool) throws {
        let machine = narrow ? Self.narrowMachine : MachineConfig()
        let sim = try DecoderSimulation(model: Self.tiny(layers: 2), machine: machine, tokens: 1, context: 10)
        #expect(sim.projections.map(\.shape.name) == ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"])
        var perLayer = 0
        for p in sim.projections {
            let bytes = Self.packed(out: p.shape.outFeatures, in: p.shape.inFeatures, machine)
            if !narrow { #expect(bytes == Self.packedBytes[p.shape.name], "\(p.shape.name): the padding rule and the hand count disagree") }
            #expect(p.packedBytes == bytes, "\(p.shape.name)")
            #expect(p.result.counters.cycles * machine.dramBytesPerCycle >= bytes, "\(p.shape.name): \(p.result.counters.cycles) cycles for \(bytes) B")
            perLayer += bytes
        }
        if !narrow { #expect(perLayer == 7488) }
        #expect(sim.packedWeightBytes == 2 * perLayer)
        #expect(sim.ternaryCyclesPerToken * Double(machine.dramBytesPerCycle) >= Double(2 * perLayer))
        #expect(sim.ternaryDRAMBytesPerToken >= Double(2 * perLayer))
        #expect(sim.cyclesPerToken >= sim.ternaryCyclesPerToken)
    }

    /// (b) One layer is simulated and scaled: the ternary cycles, energy, DRAM bytes and
    /// packed bytes per token of 2 and 5 layers are exactly 2 and 5 times those of 1 layer
    /// (one decode token), the projections' runs are the same, and the host counts are affine
    /// in depth: f(L) = f(1) + (L - 1) * (f(2) - f(1)).
    @Test func costIsAffineInDepth() throws {
        let sims = try [1, 2, 5].map { try DecoderSimulation(model: Self.tiny(layers: $0), machine: MachineConfig(), tokens: 1, context: 10) }
        let (one, two, five) = (sims[0], sims[1], sims[2])
        #expect(one.ternaryCyclesPerToken > 0 && one.ternaryPicojoulesPerToken > 0)
        for (layers, sim) in [(2, two), (5, five)] {
            #expect(sim.projections.map(\.result.counters.cycles) == one.projections.map(\.result.counters.cycles))
            #expect(sim.ternaryCyclesPerToken == Double(layers) * one.ternaryCyclesPerToken, "\(layers) layers")
            #expect(sim.ternaryPicojoulesPerToken == Double(layers) * one.ternaryPicojoulesPerToken, "\(layers) layers")
            #expect(sim.ternaryDRAMBytesPerToken == Double(layers) * one.ternaryDRAMBytesPerToken, "\(layers) layers")
            #expect(sim.packedWeightBytes == layers * one.packedWeightBytes)
            #expect(sim.model.ternaryParameters == layers * 36_864)
        }
        #expect(one.hostOperations.map(\.name) == five.hostOperations.map(\.name))
        for i in one.hostOperations.indices {
            let (h1, h2, h5) = (one.hostOperations[i], two.hostOperations[i], five.hostOperations[i])
            #expect(h5.macs == h1.macs + 4 * (h2.macs - h1.macs), "\(h1.name)")
            #expect(h5.operations == h1.operations + 4 * (h2.operations - h1.operations), "\(h1.name)")
            #expect(h5.dramBytes == h1.dramBytes + 4 * (h2.dramBytes - h1.dramBytes), "\(h1.name)")
        }
        // The totals, affine up to rounding.
        let slope = two.cyclesPerToken - one.cyclesPerToken
        #expect(abs(five.cyclesPerToken - (one.cyclesPerToken + 4 * slope)) <= 1e-9 * five.cyclesPerToken)
        let energySlope = two.picojoulesPerToken - one.picojoulesPerToken
        #expect(abs(five.picojoulesPerToken - (one.picojoulesPerToken + 4 * energySlope)) <= 1e-9 * five.picojoulesPerToken)
        // A prefill scales the same way, up to the rounding of the division by the tokens.
        let prefill1 = try DecoderSimulation(model: Self.tiny(layers: 1), machine: MachineConfig(), tokens: 3, context: 5)
        let prefill5 = try DecoderSimulation(model: Self.tiny(layers: 5), machine: MachineConfig(), tokens: 3, context: 5)
        #expect(abs(prefill5.ternaryCyclesPerToken - 5 * prefill1.ternaryCyclesPerToken) <= 1e-12 * prefill5.ternaryCyclesPerToken)
        #expect(abs(prefill5.ternaryPicojoulesPerToken - 5 * prefill1.ternaryPicojoulesPerToken) <= 1e-12 * prefill5.ternaryPicojoulesPerToken)
    }

    /// (c) The host operations of one decode token with 10 tokens of context (so each query
    /// attends to 11 keys: the context and itself), 2 layers, counted by hand:
    ///
    /// - embedding: one row of 64 bf16 values = 128 B;
    /// - norms: per layer input, post-attention and attention sub-norm (64 each) and FFN
    ///   sub-norm (128): 320 elements, plus the final norm's 64; 4 operations per element
    ///   (square, sum, scale, weight): 2 * 4 * 320 + 4 * 64 = 2816;
    /// - RoPE: q (4 * 16 = 64) and k (2 * 16 = 32) rotated, 3 operations per element:
    ///   2 * 3 * 96 = 576;
    /// - scores: 4 heads * 16 dims * 11 keys = 704 MACs per layer, 1408; the fp16 key cache:
    ///   2 kv heads * 16 * 11 keys * 2 B = 704 B per layer, 1408;
    /// - softmax: 4 heads * 11 scores * 5 operations (max, subtract, exp, sum, divide) = 220
    ///   per layer, 440;
    /// - values: as the scores, 1408 MACs and 1408 B;
    /// - KV cache write: this token's k and v, 2 * 32 values * 2 B = 128 B per layer, 256;
    /// - relu2(gate) * up: 3 operations (relu, square, multiply) * 128 = 384 per layer, 768;
    /// - residual adds: 2 * 64 = 128 per layer, 256;
    /// - lm_head: 100 * 64 = 6400 MACs and 6400 bf16 weights = 12,800 B.
    ///
    /// Energy at ISA.md 3.4's prices (fp16 add 0.16, multiply 0.34, DRAM 162.5 pJ per byte)
    /// and time at 64 B/cycle, for two of them: lm_head 6400 * 0.5 + 12,800 * 162.5 =
    /// 2,083,200 pJ and 12,800 / 64 = 200 cycles; the norms 2816 * 0.16 = 450.56 pJ.
    @Test func hostOperationsOfADecodeTokenCountedByHand() throws {
        let sim = try DecoderSimulation(model: Self.tiny(layers: 2), machine: MachineConfig(), tokens: 1, context: 10)
        let expected: [(name: String, macs: Int, operations: Int, dramBytes: Int)] = [
            ("embedding lookup", 0, 0, 128),
            ("RMSNorm / SubLN", 0, 2816, 0),
            ("RoPE", 0, 576, 0),
            ("attention scores q.k", 1408, 0, 1408),
            ("softmax", 0, 440, 0),
            ("attention values", 1408, 0, 1408),
            ("KV cache write", 0, 0, 256),
            ("squared ReLU x up", 0, 768, 0),
            ("residual adds", 0, 256, 0),
            ("lm_head", 6400, 0, 12_800),
        ]
        #expect(sim.hostOperations.map(\.name) == expected.map(\.name))
        for (op, want) in zip(sim.hostOperations, expected) {
            #expect(op.macs == want.macs && op.operations == want.operations && op.dramBytes == want.dramBytes,
                    "\(op.name): \(op.macs) MACs, \(op.operations) operations, \(op.dramBytes) B; by hand \(want)")
        }
        let lmHead = try #require(sim.hostOperations.last)
        #expect(abs(lmHead.picojoules - 2_083_200) <= 1e-9 * 2_083_200)
        #expect(lmHead.cycles == 200)
        #expect(abs(sim.hostOperations[1].picojoules - 450.56) <= 1e-9 * 450.56)
        // 128 + 1408 + 1408 + 256 + 12,800 = 16,000 B of host DRAM traffic: 250 cycles.
        #expect(sim.hostCyclesPerToken == 250)
    }

    /// A prefill of 3 tokens after 5 of context: the tokens attend to 6, 7 and 8 keys, 7 on
    /// average, so the attention counts per token are those of 7 keys (2 * 4 * 16 * 7 = 896
    /// MACs, 2 * 32 * 7 * 2 = 896 B; softmax 2 * 4 * 7 * 5 = 280); the rest is per token as
    /// in a decode step.
    @Test func hostOperationsOfAPrefillCountedByHand() throws {
        let sim = try DecoderSimulation(model: Self.tiny(layers: 2), machine: MachineConfig(), tokens: 3, context: 5)
        let byName = Dictionary(uniqueKeysWithValues: sim.hostOperations.map { ($0.name, $0) })
        #expect(byName["attention scores q.k"]?.macs == 896 && byName["attention scores q.k"]?.dramBytes == 896)
        #expect(byName["attention values"]?.macs == 896 && byName["attention values"]?.dramBytes == 896)
        #expect(byName["softmax"]?.operations == 280)
        #expect(byName["RoPE"]?.operations == 576 && byName["RMSNorm / SubLN"]?.operations == 2816)
        #expect(byName["lm_head"]?.macs == 6400)
    }

    /// (d) The FP16 baseline stores 2 bytes per ternary weight: 2 * 2 * 36,864 = 147,456 B
    /// for 2 layers. Its time per decode token is the larger of streaming them (147,456 / 64
    /// = 2304 cycles) and the MACs on 32 x 64 lanes (73,728 / 2048 = 36), plus the host's
    /// 250: 2554 cycles. Its energy: 73,728 MACs * (0.34 + 0.16) = 36,864 pJ; each weight
    /// byte read from DRAM (162.5) and written to and read from a 256 KiB SRAM (8.5 each):
    /// 147,456 * 179.5 = 26,468,352 pJ; static 20 pJ * 2304 cycles = 46,080 pJ; and the host
    /// operations: 20,800 (embedding) + 2 * 229,504 (scores, values: 1408 * 0.5 + 1408 *
    /// 162.5) + 41,600 (KV write) + 2,083,200 (lm_head) + 0.16 * (2816 + 576 + 440 + 768 +
    /// 256) = 776.96 (other operations) = 2,605,384.96 pJ. Total 29,156,680.96 pJ.
    @Test func fp16BaselineCountedByHand() throws {
        let sim = try DecoderSimulation(model: Self.tiny(layers: 2), machine: MachineConfig(), tokens: 1, context: 10)
        #expect(sim.model.ternaryParameters == 73_728)
        let base = sim.fp16
        #expect(base.weightBytes == 147_456)
        #expect(base.cyclesPerToken == 2554)
        #expect(abs(sim.hostPicojoulesPerToken - 2_605_384.96) <= 1e-9 * 2_605_384.96)
        #expect(abs(base.picojoulesPerToken - 29_156_680.96) <= 1e-9 * 29_156_680.96)
        // The ternary model streams 7488 * 2 = 14,976 packed bytes instead of 147,456.
        #expect(sim.packedWeightBytes == 14_976)
    }
}
