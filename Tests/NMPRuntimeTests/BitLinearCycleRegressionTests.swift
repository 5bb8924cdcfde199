import NMPRuntime
import NMPSimulator
import NMPTestSupport
import Testing

/// Cycle regression anchors for compiled BitLinears: the exact cycles, retired instructions
/// and DRAM bytes of `BitLinearLayer.compile` + `run` at fixed shapes.
///
/// REGRESSION VALUES, recorded on 2026-11-25 from the compiler at commit 56e8261
/// ("BitLinearPlan: no local shadowing the stored group size"). They are not derived from
/// first principles: they pin the current schedule, so that any change to the generated
/// code's timing shows up here. A deliberate change of schedule (tiling, grouping, DMA
/// batching, instruction order) must update them in the same commit and say why.
///
/// Each number is also checked against bounds computed here from the shape and the machine
/// alone (not from `BitLinearPlan`), which say why it is plausible:
/// - the packed weights cross the DRAM port at least once: cycles >= blocks * chunks * ROWS *
///   ceil(VLEN / tritsPerByte) / dramBytesPerCycle (rows padded to ROWS, columns to VLEN);
/// - the useful trit-MACs need cycles >= out * in * tokens / (ROWS * VLEN);
/// - the serial DMA engine pays `dmaLatency` per transfer: cycles > transfers * dmaLatency +
///   DRAM bytes / dramBytesPerCycle;
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
    // packed weights (per token group of up to 6) + float32 inputs + the staged outputs
    // (int32 and float32 for ROWS rows and every slot of the group: 2 * group * 32 * 4 B per
    // row block and group).
    static let cases: [Case] = [
        // 1 tile: 416 + 4 + 256 = 676 B. Three serial DMAs (input, weights, outputs) of at
        // least 100 cycles each (bound 310): 422 cycles is latency, not bandwidth (416 / 64 = 7).
        Case(out: 1, inFeatures: 1, tokens: 1, machine: "default", cycles: 422, retired: 66, dramBytes: 676),
        // One full tile: 416 + 256 + 256 = 928 B; 3 transfers (bound 314); 16 cycles more
        // than the 1 x 1 layer, which moves the same weight bytes.
        Case(out: 32, inFeatures: 64, tokens: 1, machine: "default", cycles: 438, retired: 71, dramBytes: 928),
        // 2 x 2 tiles, both ragged: 1664 + 260 + 2 * 256 = 2436 B; one more weight transfer
        // (4 transfers: bound 438).
        Case(out: 33, inFeatures: 65, tokens: 1, machine: "default", cycles: 588, retired: 116, dramBytes: 2436),
        // The same over 3 tokens in one group: 1664 + 780 + 2 * 768 = 3980 B; three input
        // transfers (6 transfers: bound 662).
        Case(out: 33, inFeatures: 65, tokens: 3, machine: "default", cycles: 1042, retired: 250, dramBytes: 3980),
        // k/v projection of 2B-4T: 20 x 40 tiles = 332,800 B (>= 5200 cycles at 64 B/cycle)
        // + 10,240 + 20 * 256 = 348,160 B; 24 transfers (20 weight blocks, 1 input, 3 output
        // batches): >= 2400 + 5440 = 7840 cycles of serial DMA; 9819 is 1.25x that bound.
        Case(out: 640, inFeatures: 2560, tokens: 1, machine: "default", cycles: 9819, retired: 4827, dramBytes: 348_160),
        // 80 x 10 tiles = 332,800 B + 2560 + 80 * 256 = 355,840 B; 80 weight blocks + 1 input
        // + 10 output batches = 91 transfers: >= 9100 + 5560 = 14,660 cycles; 15,389 is
        // within 5 % of that: latency-bound on the many small row blocks.
        Case(out: 2560, inFeatures: 640, tokens: 1, machine: "default", cycles: 15_389, retired: 5846, dramBytes: 355_840),
        // 7 tokens = groups of 6 and 1: the weights cross twice (665,600 B) + 17,920 B of
        // input + 2 * 80 * 1536 B of staged outputs (the group of 1 still writes 6 slots) =
        // 929,280 B; 187 transfers: >= 18,700 + 14,520 = 33,220 cycles of serial DMA; 5600
        // mmacs whose 6 tokens share each 4-cycle ldm; 53,855 is 1.6x the DMA bound.
        Case(out: 2560, inFeatures: 640, tokens: 7, machine: "default", cycles: 53_855, retired: 23_070, dramBytes: 929_280),
        // VLEN 20, ROWS 20, 2-bit packing (5 B per row, 100 B tiles), 16 B/cycle, latency 30:
        // 2 x 8 tiles = 1600 B + 3000 B of input + 2 * 800 B of outputs = 6200 B (>= 388
        // cycles at 16 B/cycle); 8 transfers (2 weight blocks, 5 inputs, 1 output batch):
        // >= 240 + 387 = 627 cycles of serial DMA; 2000 is 3.2x that bound (5 tokens of
        // quantization over 8 chunks of 20 lanes each, and 80 mmacs).
        Case(out: 37, inFeatures: 150, tokens: 5, machine: "small", cycles: 2000, retired: 810, dramBytes: 6200),
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
        #expect(cycles > transfers * config.dmaLatency + dram / config.dramBytesPerCycle, "serial DMA bound, \(transfers) transfers")
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
