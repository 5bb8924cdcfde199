import NMPRuntime
import NMPSimulator
import NMPTestSupport
import Testing

/// Cycle regression anchors for compiled BitLinears: the exact cycles, retired instructions
/// and DRAM bytes of `BitLinearLayer.compile` + `run` at fixed shapes.
///
/// REGRESSION VALUES, recorded from the schedule of passes of two row blocks (block-major
/// tiles, each block a hardware loop of one `mgemm` per column chunk that streams the
/// group's tokens past the tile, or two when the group multiplies in halves whose sums are
/// staged while the array works on the other half (ISA.md 6.12's asynchronous array, with
/// its queue of 16 products and a DMA queue of 16 transfers), each pass in two DMA parts requested a pass ahead, the first
/// pass requested behind a 1-token group's input, groups of up to 8 tokens with their int8
/// codes chunk-major; in a group of several tokens each slot's float32 row is requested
/// while the slot before it is quantized, into the other of two row buffers, and the first
/// pass of weights behind the last slot's row, one slot before the quantization ends) on
/// the pipelined DMA of ISA.md 6.5. They are not derived from first
/// principles: they pin the current schedule, so that any change to the generated code's
/// timing shows up here. A deliberate change of schedule (tiling, grouping, DMA batching,
/// instruction order) must update them in the same commit and say why.
///
/// Each number is also checked against bounds computed here from the shape and the machine
/// alone (not from `BitLinearPlan`), which say why it is plausible:
/// - the packed weights cross the DRAM port at least once: cycles >= blocks * chunks * ROWS *
///   ceil(VLEN / tritsPerByte) / dramBytesPerCycle (rows padded to ROWS, columns to VLEN);
/// - the useful trit-MACs need cycles >= out * in * tokens / (ROWS * VLEN);
/// - the DMA engine's data flows one transfer at a time, the first after at least one
///   `dmaLatency` (the latencies of later transfers overlap earlier data, ISA.md 6.5):
///   cycles > dmaLatency + DRAM bytes / dramBytesPerCycle;
/// - DRAM traffic >= the packed weights + 4 bytes per input value + 8 bytes (int32 and
///   float32) per output value;
/// - one `mgemm` (`mgemz` for a block's first chunk) per group of up to 8 tokens, row block
///   and column chunk, two for a group of 4, 6 or 8 tokens whose halves have at least 32
///   products' vectors each (chunks * tokens / 2 >= 32: it multiplies in two halves with
///   their own accumulators; the tiles take at most 2 weight-SRAM cycles on these machines).
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
    // packed row, a 416-byte tile, DMA 64 B/cycle after a 100-cycle latency that later
    // transfers overlap). DRAM bytes are packed weights (once per token group of up to 8) +
    // float32 inputs (twice when a token's input comes in pieces) + float32 outputs + int32
    // sums ([tokens, out] each; the standalone layer writes both). "DRAM bound" is DRAM
    // bytes / 64 cycles; the small cases are latency-bound (input, then the outputs after the
    // last mmac: two dependent DMA latencies at least).
    static let cases: [Case] = [
        // 416 + 4 + 4 + 4 = 428 B (DRAM bound 7 cycles); the input and the weights are
        // requested together, the outputs after the product: 378 cycles, two latencies + work.
        Case(out: 1, inFeatures: 1, tokens: 1, machine: "default", cycles: 370, retired: 132, dramBytes: 428),
        // One full tile: 416 + 256 + 128 + 128 = 928 B (bound 15 cycles); latency-bound as above.
        Case(out: 32, inFeatures: 64, tokens: 1, machine: "default", cycles: 373, retired: 129, dramBytes: 928),
        // 2 x 2 tiles in one pass, both ragged: 1664 + 260 + 132 + 132 = 2188 B (bound 35).
        Case(out: 33, inFeatures: 65, tokens: 1, machine: "default", cycles: 428, retired: 155, dramBytes: 2188),
        // The same over 3 tokens in one group: 1664 + 780 + 396 + 396 = 3236 B (bound 51);
        // latency-bound: slot 0's row, then the last row and the weights requested together
        // while slot 1 is quantized, then the outputs (was 1004 cycles when each slot waited
        // for its own row and the weights were requested after the last).
        Case(out: 33, inFeatures: 65, tokens: 3, machine: "default", cycles: 653, retired: 307, dramBytes: 3236),
        // k/v projection of 2B-4T: 20 x 40 tiles = 332,800 B + 10,240 + 2 * 2560 = 348,160 B:
        // DRAM bound 5440 cycles; 5837 is 93.2 % of it (an mgemm takes the tile's 2 weight-SRAM
        // cycles against 6.5 of DRAM; the quantization comes before the weights).
        Case(out: 640, inFeatures: 2560, tokens: 1, machine: "default", cycles: 5837, retired: 1828, dramBytes: 348_160),
        // 80 x 10 tiles = 332,800 B + 2560 + 2 * 10,240 = 355,840 B: bound 5560 cycles; 6993
        // is 79.5 % of it: passes of only 20 tiles pay their overhead and staging 40 times.
        Case(out: 2560, inFeatures: 640, tokens: 1, machine: "default", cycles: 6993, retired: 3433, dramBytes: 355_840),
        // 7 tokens = one group: the weights cross once (332,800 B) + 17,920 B of input + 2 *
        // 71,680 B of outputs and sums = 494,080 B: DRAM bound 7720 cycles, trit-MAC bound
        // 5600; 13,934 is 55 % of the DRAM bound: 800 mgemm/mgemz of max(2, 7) = 7 cycles (5600),
        // the staging of 7 tokens' outputs and sums after each of the 80 blocks, 7 tokens of
        // quantization (their rows and the first weights streaming behind it) and the output
        // flushes.
        Case(out: 2560, inFeatures: 640, tokens: 7, machine: "default", cycles: 13_934, retired: 6345, dramBytes: 494_080),
        // 8 tokens = one group in two halves of 4: 332,800 B of weights + 20,480 B of input +
        // 2 * 81,920 B of outputs and sums = 517,120 B: DRAM bound 8080 cycles, trit-MAC bound
        // 6400 (1600 products of max(2, 4) = 4 cycles); 14,396 is 56 % of the DRAM bound:
        // passes of 20 tiles (160 array cycles) pay their set-up, waits and flushes 40 times
        // (whole, the group took 15,138).
        Case(out: 2560, inFeatures: 640, tokens: 8, machine: "default", cycles: 14_396, retired: 8412, dramBytes: 517_120),
        // 20 tokens = groups of 8, 8 and 4, each whole (3 chunks: halves too short): the weights (3 x 3 tiles = 3744 B)
        // cross once per group, 11,232 B, + 10,400 B of input + 2 * 7680 B of outputs and sums
        // = 36,992 B (a group that fetched a pass too many would show here).
        Case(out: 96, inFeatures: 130, tokens: 20, machine: "default", cycles: 3511, retired: 2091, dramBytes: 36_992),
        // VLEN 20, ROWS 20, 2-bit packing (5 B per row, 100 B tiles), 16 B/cycle, latency 30:
        // one group of 5 tokens: 2 x 8 tiles = 1600 B + 3000 B of input + 2 * 740 B of outputs
        // = 6080 B, DRAM bound 380 cycles; 1124 is 3.0x that bound (5 tokens of quantization
        // over 8 chunks of 20 lanes each, and 16 mgemm/mgemz, on a 20-lane machine).
        Case(out: 37, inFeatures: 150, tokens: 5, machine: "small", cycles: 1124, retired: 716, dramBytes: 6080),
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
        let groups = stride(from: 0, to: c.tokens, by: 8).map { min(8, c.tokens - $0) }
        let multiplies = groups.map { $0 >= 4 && $0 % 2 == 0 && chunks * $0 / 2 >= 32 ? 2 : 1 }.reduce(0, +)
        #expect(retiredByOpcode[.mgemz] == blocks * multiplies, "one mgemz per row block (its first chunk) for each group or half")
        #expect(retiredByOpcode[.mgemm] + retiredByOpcode[.mgemz] == blocks * chunks * multiplies, "one mgemm or mgemz per tile for each group or half")
        #expect(result.counters.tritMACs == c.tokens * blocks * config.rows * c.inFeatures, "ROWS lanes per token and tile over the real columns")
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
