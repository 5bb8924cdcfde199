import NMPRuntime
import NMPSimulator
import NMPTestSupport
import Testing

/// Cycle regression anchors for compiled BitLinears: the exact cycles, retired instructions
/// and DRAM bytes of `BitLinearLayer.compile` + `run` at fixed shapes.
///
/// REGRESSION VALUES, recorded on 2026-11-26 from the compiler at commit 56e8261
/// ("BitLinearPlan: no local shadowing the stored group size") on the pipelined DMA of
/// ISA.md 6.5 (the schedule is unchanged; only the DMA rule changed). They are not derived from
/// first principles: they pin the current schedule, so that any change to the generated
/// code's timing shows up here. A deliberate change of schedule (tiling, grouping, DMA
/// batching, instruction order) must update them in the same commit and say why.
///
/// Each number is also checked against bounds computed here from the shape and the machine
/// alone (not from `BitLinearPlan`), which say why it is plausible:
/// - the packed weights cross the DRAM port at least once: cycles >= blocks * chunks * ROWS *
///   ceil(VLEN / tritsPerByte) / dramBytesPerCycle (rows padded to ROWS, columns to VLEN);
/// - the useful trit-MACs need cycles >= out * in * tokens / (ROWS * VLEN);
/// - the DMA engine's data flows one transfer at a time after at least one `dmaLatency`:
///   cycles > dmaLatency + DRAM bytes / dramBytesPerCycle;
/// - DRAM traffic >= the packed weights + 4 bytes per input value + 8 bytes (int32 and
///   float32) per output value;
/// - one `mmac` per token, row block and column chunk.
/// Cycles do not depend on the weight and input values (`DecoderSimulation` relies on it):
/// a second seed must give the same three numbers.
struct BitLinearCycleRegressionTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let out: Int, inFeatures: Int, tokens: Int
        let machine: String
        /// The recorded regression values.
        let cycles: Int, retired: Int, dramBytes: Int
        var testDescription: String { "\(out) x \(inFeatures), \(tokens) token(s), \(machine)" }

        var config: MachineConfig {
            var config = MachineConfig()
            if machine == "small" {
                // Odd lanes and rows, 2-bit packing, a narrow DMA with a short latency.
                config.vlen = 20
                config.rows = 20
                config.packing = .twoBit
                config.dramBytesPerCycle = 16
                config.dmaLatency = 30
            }
            return config
        }
    }

    // Plausibility of each recorded value (default machine: ROWS 32, VLEN 64, 13 bytes per
    // packed row, a 416-byte tile, DMA 64 B/cycle + 100 cycles per transfer). DRAM bytes are
    // packed weights (once per token group of up to 6) + float32 inputs + float32 outputs +
    // int32 sums ([tokens, out] each; the standalone layer writes both). Outputs leave as
    // one DMA per token and kind per batch of up to 16 row blocks. Recorded after the move
    // to the in-memory program builder (loops over groups and row blocks, outputs in
    // [tokens, out] layout, DRAM addresses loaded with lui + ori), which added the per-token
    // output transfers.
    static let cases: [Case] = [
        // 416 + 4 + 4 + 4 = 428 B. Four serial DMAs (input, weights, outputs, sums) of at
        // least 100 cycles each (bound 410): 554 cycles is latency, not bandwidth.
        Case(out: 1, inFeatures: 1, tokens: 1, machine: "default", cycles: 459, retired: 120, dramBytes: 428),
        // One full tile: 416 + 256 + 128 + 128 = 928 B; 4 transfers (bound 418).
        Case(out: 32, inFeatures: 64, tokens: 1, machine: "default", cycles: 470, retired: 119, dramBytes: 928),
        // 2 x 2 tiles, both ragged: 1664 + 260 + 132 + 132 = 2188 B; 5 transfers (bound 535).
        Case(out: 33, inFeatures: 65, tokens: 1, machine: "default", cycles: 620, retired: 182, dramBytes: 2188),
        // The same over 3 tokens in one group: 1664 + 780 + 396 + 396 = 3236 B; 3 input
        // transfers, 2 weight blocks, 6 output transfers (11 transfers: bound 1151).
        Case(out: 33, inFeatures: 65, tokens: 3, machine: "default", cycles: 1175, retired: 322, dramBytes: 3236),
        // k/v projection of 2B-4T: 20 x 40 tiles = 332,800 B (>= 5200 cycles at 64 B/cycle)
        // + 10,240 + 2 * 2560 = 348,160 B; 20 weight blocks, 1 input, 2 x 2 output batches:
        // >= 2500 + 5440 = 7940 cycles of serial DMA; 10,415 is 1.3x that bound.
        Case(out: 640, inFeatures: 2560, tokens: 1, machine: "default", cycles: 10_141, retired: 5217, dramBytes: 348_160),
        // 80 x 10 tiles = 332,800 B + 2560 + 2 * 10,240 = 355,840 B; 80 weight blocks + 1
        // input + 2 x 5 output batches = 91 transfers: >= 9100 + 5560 = 14,660 cycles;
        // 15,603 is within 7 % of that: latency-bound on the many small row blocks.
        Case(out: 2560, inFeatures: 640, tokens: 1, machine: "default", cycles: 14_639, retired: 7289, dramBytes: 355_840),
        // 7 tokens = groups of 6 and 1: the weights cross twice (665,600 B) + 17,920 B of
        // input + 2 * 71,680 B of outputs and sums = 826,880 B; 160 weight blocks, 7 inputs,
        // 2 x 7 tokens x 5 output batches: >= 23,700 + 12,920 = 36,620 cycles of serial DMA;
        // 60,565 is 1.65x that bound (5600 mmacs whose 6 tokens share each ldm).
        Case(out: 2560, inFeatures: 640, tokens: 7, machine: "default", cycles: 54_772, retired: 26_131, dramBytes: 826_880),
        // VLEN 20, ROWS 20, 2-bit packing (5 B per row, 100 B tiles), 16 B/cycle, latency 30:
        // 2 x 8 tiles = 1600 B + 3000 B of input + 2 * 740 B of outputs = 6080 B (>= 380
        // cycles at 16 B/cycle); 2 weight blocks, 5 inputs, 10 output transfers: >= 510 + 380
        // = 890 cycles of serial DMA; 2337 is 2.6x that bound (5 tokens of quantization over
        // 8 chunks of 20 lanes each, and 80 mmacs).
        Case(out: 37, inFeatures: 150, tokens: 5, machine: "small", cycles: 2069, retired: 912, dramBytes: 6080),
    ]

    /// Seeded ternary weights and float inputs of a shape.
    static func layer(_ c: Case, seed: UInt64) -> (TernaryWeights, [Float]) {
        var rng = SplitMix64(seed: seed)
        let trits = (0..<c.out * c.inFeatures).map { _ in Int8(Int(rng.next() % 3) - 1) }
        let x = (0..<c.tokens * c.inFeatures).map { _ in Float(Int(rng.next() % 2001) - 1000) / 250 }
        return (TernaryWeights(rows: c.out, columns: c.inFeatures, trits: trits, scale: 0.0123), x)
    }

    /// DRAM bytes read and written by a run (the only use of the event counts here).
    static func dramBytes(_ result: RunResult) -> Int {
        result.events[.dramRead] + result.events[.dramWrite]
    }

    static func run(_ c: Case, seed: UInt64) throws -> RunResult {
        let (weights, x) = layer(c, seed: seed)
        return try BitLinearLayer.run(try BitLinearLayer.compile(weights: weights, input: x, tokens: c.tokens, config: c.config)).result
    }

    @Test(arguments: cases)
    func cyclesRetiredAndDRAMBytesAreTheRecordedOnes(_ c: Case) throws {
        let result = try Self.run(c, seed: 0xC7C1E + UInt64(c.out * 7 + c.inFeatures))
        let config = c.config
        let cycles = result.counters.cycles, retired = result.counters.retired, dram = Self.dramBytes(result)
        #expect(result.halted)
        #expect(cycles == c.cycles && retired == c.retired && dram == c.dramBytes,
                "\(c.testDescription): cycles \(cycles), retired \(retired), DRAM bytes \(dram); recorded \(c.cycles), \(c.retired), \(c.dramBytes)")

        // Bounds from the shape and the machine alone.
        let blocks = (c.out + config.rows - 1) / config.rows
        let chunks = (c.inFeatures + config.vlen - 1) / config.vlen
        let tritsPerByte = config.packing == .base3 ? 5 : 4
        let packedWeightBytes = blocks * chunks * config.rows * ((config.vlen + tritsPerByte - 1) / tritsPerByte)
        #expect(cycles * config.dramBytesPerCycle >= packedWeightBytes, "DRAM bound: \(packedWeightBytes) B at \(config.dramBytesPerCycle) B/cycle")
        #expect(cycles * config.rows * config.vlen >= c.out * c.inFeatures * c.tokens, "compute bound")
        #expect(dram >= packedWeightBytes + 4 * c.tokens * c.inFeatures + 8 * c.tokens * c.out)
        let retiredByOpcode = result.counters.retiredByOpcode
        let transfers = retiredByOpcode[.dmaw] + retiredByOpcode[.dmaa] + retiredByOpcode[.dmas]
        #expect(cycles > config.dmaLatency + dram / config.dramBytesPerCycle, "DMA bound, \(transfers) transfers")
        #expect(retiredByOpcode[.mmac] == c.tokens * blocks * chunks)
        #expect(result.counters.tritMACs == c.tokens * blocks * config.rows * c.inFeatures, "ROWS lanes per mmac over the real columns")
    }

    /// Other weights and inputs of the same shape take the same cycles, instructions and
    /// DRAM bytes: the schedule depends on the shape only.
    @Test(arguments: [cases[3], cases[7]])
    func timingDoesNotDependOnTheValues(_ c: Case) throws {
        let a = try Self.run(c, seed: 1), b = try Self.run(c, seed: 2)
        #expect(a.counters.cycles == b.counters.cycles)
        #expect(a.counters.retired == b.counters.retired)
        #expect(Self.dramBytes(a) == Self.dramBytes(b))
        #expect(a.counters.tritAdd != b.counters.tritAdd || a.counters.tritSub != b.counters.tritSub, "the seeds differ")
    }
}
