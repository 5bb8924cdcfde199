@testable import NMPRuntime
import NMPSimulator
import NMPSupport
import Testing

/// The FP16 baseline's linear layer (`HalfLinearPlan`, `hgemm`) compiled onto the machine
/// gives exactly what a plain reference computes: binary16 activations (float32 rounded to
/// nearest even), per VLEN chunk the pairwise tree of ISA.md 7.12 over the chunk's exact
/// products, the chunks' trees added in order in float32. Random and ragged shapes, machines
/// whose passes are whole blocks, several blocks, a ragged last pass, or pieces of a block,
/// and groups smaller than 8.
struct HalfLinearLayerTests {
    /// ISA.md 7.12's tree: neighbours added level by level, an odd last value moved up,
    /// the root added to +0.0.
    static func tree(_ values: [Float]) -> Float {
        guard !values.isEmpty else { return 0 }
        var s = values
        while s.count > 1 {
            var next: [Float] = []
            for i in stride(from: 0, to: s.count - 1, by: 2) { next.append(s[i] + s[i + 1]) }
            if s.count % 2 == 1 { next.append(s[s.count - 1]) }
            s = next
        }
        return Float(0) + s[0]
    }

    static func reference(weights: [UInt16], out: Int, input: [Float], tokens: Int, vlen: Int) -> [Float] {
        let inFeatures = input.count / tokens
        var y = [Float](repeating: 0, count: tokens * out)
        for t in 0..<tokens {
            let x = (0..<inFeatures).map { Float(Float16(input[t * inFeatures + $0])) }
            for r in 0..<out {
                var acc: Float = 0
                for (c, first) in stride(from: 0, to: inFeatures, by: vlen).enumerated() {
                    let products = (first..<min(inFeatures, first + vlen)).map { Float(Float16(bitPattern: weights[r * inFeatures + $0])) * x[$0] }
                    acc = c == 0 ? tree(products) : acc + tree(products)
                }
                y[t * out + r] = acc
            }
        }
        return y
    }

    static func machine(_ name: String) -> MachineConfig {
        var c = MachineConfig()
        switch name {
        case "small-wsram":      // 4 KiB tiles, 2 per buffer: a 4-chunk block in 2 pieces
            c.weightSRAM.size = 16384
        case "three-blocks":     // one-chunk blocks, 3 per pass: a ragged last pass
            c.weightSRAM.size = 24576
        case "small-asram":      // groups below 8 and inputs in pieces
            c.activationSRAM.size = 4096
        case "odd":
            c.vlen = 5; c.rows = 3
        case "vlen65":
            c.vlen = 65; c.rows = 33
        case "vlen8192":         // pointer steps beyond 16-bit immediates
            c.vlen = 8192; c.rows = 2; c.floatLanes = 64
            c.activationSRAM.size = 1 << 20; c.weightSRAM.size = 1 << 20
        default: break
        }
        return c
    }

    static let cases: [(machine: String, out: Int, in: Int, tokens: Int)] = [
        ("default", 1, 1, 1), ("default", 7, 13, 1), ("default", 33, 65, 3), ("default", 32, 64, 8),
        ("default", 65, 129, 9), ("default", 40, 200, 17),
        ("small-wsram", 33, 200, 5), ("small-wsram", 64, 256, 8), ("three-blocks", 100, 64, 10), ("three-blocks", 96, 50, 2),
        ("small-asram", 20, 300, 12), ("odd", 7, 11, 4), ("odd", 3, 5, 1), ("vlen65", 34, 131, 9), ("vlen8192", 3, 8200, 2),
    ]

    @Test(arguments: cases.indices)
    func matchesTheReference(_ index: Int) throws {
        let (name, out, inFeatures, tokens) = Self.cases[index]
        let config = Self.machine(name)
        var rng = SplitMix64(seed: UInt64(1000 + index))
        func uniform() -> Float { Float(Double(rng.next() >> 11) / Double(1 << 53)) * 2 - 1 }
        var weights = (0..<out * inFeatures).map { _ in Float16(uniform() * 0.1).bitPattern }
        weights[0] = 0x8000              // -0.0
        if weights.count > 2 { weights[2] = 0x0001 }   // the smallest subnormal
        let input = (0..<tokens * inFeatures).map { _ in uniform() * 8 }
        let run = try HalfLinearLayer.run(weights: weights, outFeatures: out, input: input, tokens: tokens, config: config)
        let want = Self.reference(weights: weights, out: out, input: input, tokens: tokens, vlen: config.vlen)
        #expect(run.outputs.map(\.bitPattern) == want.map(\.bitPattern), "\(name) \(out) x \(inFeatures) over \(tokens)")
        #expect(run.result.trap == nil)
    }

    /// The plans the cases above rely on: pieces of a block, several blocks per pass with a
    /// ragged last one, groups below 8 with the input in pieces.
    @Test func thePlansCoverEveryScheduleShape() throws {
        let pieces = try HalfLinearPlan(tokens: 5, inFeatures: 200, outFeatures: 33, config: Self.machine("small-wsram"))
        #expect(pieces.passesPerBlock == 2 && pieces.passChunks == 2)
        let blocks = try HalfLinearPlan(tokens: 10, inFeatures: 64, outFeatures: 100, config: Self.machine("three-blocks"))
        #expect(blocks.blocksPerPass == 3 && blocks.blocks == 4)
        let small = try HalfLinearPlan(tokens: 12, inFeatures: 300, outFeatures: 20, config: Self.machine("small-asram"))
        #expect(small.group < 8 && small.note != nil)
        // 2B4T's q_proj on the default machine: 160 KiB blocks in two pieces of 20 chunks.
        let q = try HalfLinearPlan(tokens: 128, inFeatures: 2560, outFeatures: 2560, config: MachineConfig())
        #expect(q.passesPerBlock == 2 && q.passChunks == 20 && q.group == 8)
    }

    @Test func aWeightSRAMBelowTwoTilesIsAnError() {
        var config = MachineConfig()
        config.weightSRAM.size = 4096
        #expect(throws: CompileError.self) { try HalfLinearPlan(tokens: 2, inFeatures: 64, outFeatures: 32, config: config) }
    }
}
