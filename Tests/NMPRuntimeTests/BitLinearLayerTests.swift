import NMPAssembler
import NMPRuntime
import NMPSimulator
import NMPTestSupport
import Testing

/// A BitLinear compiled onto the machine gives exactly the reference's int32 sums and float32
/// outputs: random and ragged shapes, several tokens, inputs built to hit rounding ties.
struct BitLinearLayerTests {
    /// Seeded float weights and inputs for an `out x in` layer over `tokens` tokens; every
    /// third token carries values whose x * s is exactly k + 0.5 (a tie for round-half-even).
    static func case_(out: Int, in inFeatures: Int, tokens: Int, seed: UInt64) -> (TernaryWeights, [Float]) {
        var rng = SplitMix64(seed: seed)
        func uniform() -> Float { Float(Double(rng.next() >> 11) / Double(1 << 53)) * 2 - 1 }
        let w = (0..<out * inFeatures).map { _ in uniform() * 0.05 }
        let weights = BitNetReference.quantizeWeights(w, rows: out, columns: inFeatures)
        var x = (0..<tokens * inFeatures).map { _ in uniform() * 4 }
        for t in stride(from: 0, to: tokens, by: 3) {
            let row = t * inFeatures
            x[row] = 3.5  // the token's absmax: s = (1 / 3.5) * 127
            let s = BitNetReference.activationScale(absMax: 3.5)
            for (i, k) in (1..<inFeatures).prefix(12).enumerated() {
                let target = Float(i % 2 == 0 ? 1 : -1) * (Float(k % 100) + 0.5)
                // A float v with v * s == target exactly, if one is near target / s.
                var v = target / s
                for _ in 0..<8 where v * s != target { v = v * s < target ? v.nextUp : v.nextDown }
                if v * s == target && abs(v) <= 3.5 { x[row + k] = v }
            }
        }
        return (weights, x)
    }

    static let shapes: [(out: Int, in: Int, tokens: Int)] = [
        (1, 1, 1), (7, 13, 1), (13, 7, 2), (31, 63, 1), (32, 64, 1), (33, 65, 3), (32, 63, 2), (31, 65, 1),
        (64, 128, 4), (65, 129, 7), (3, 200, 13), (96, 192, 6),
        // Groups that multiply in two halves (ISA.md 6.12; at least 32 vectors per half and
        // block): 8 tokens of 10 chunks; groups of 8 (halves) and 4 (whole: 20 vectors per
        // half) of 10 chunks, the last ragged; groups of 8, 8 and 4, all in halves, 17 chunks.
        (96, 640, 8), (33, 577, 12), (70, 1030, 20),
    ]

    @Test(arguments: shapes.indices)
    func matchesTheReference(_ index: Int) throws {
        let shape = Self.shapes[index]
        let (weights, x) = Self.case_(out: shape.out, in: shape.in, tokens: shape.tokens, seed: UInt64(index + 1))
        let compiled = try BitLinearLayer.compile(weights: weights, input: x, tokens: shape.tokens, config: MachineConfig())
        let run = try BitLinearLayer.run(compiled)
        let (q, scales) = BitNetReference.quantizeActivations(x, tokens: shape.tokens, features: shape.in)
        let acc = BitNetReference.accumulate(q, tokens: shape.tokens, weights)
        let y = BitNetReference.dequantize(acc, tokens: shape.tokens, rows: shape.out, activationScales: scales, weightScale: weights.scale)
        #expect(run.accumulators == acc, "int32 sums differ for \(shape)")
        #expect(run.outputs.map(\.bitPattern) == y.map(\.bitPattern), "float32 outputs differ for \(shape)")
        #expect(run.result.counters.cycles == run.result.counters.retired + run.result.counters.stalls.values.reduce(0, +))
    }

    /// The ties were really there: the test inputs put x * s exactly on k + 0.5.
    @Test func testInputsContainExactTies() {
        let (_, x) = Self.case_(out: 4, in: 40, tokens: 1, seed: 9)
        let s = BitNetReference.activationScale(absMax: 3.5)
        let ties = x.filter { let p = $0 * s; return p - p.rounded(.down) == 0.5 }
        #expect(ties.count >= 6)
    }

    /// Other machines: odd lanes and rows, 2-bit packing, small SRAMs that force several
    /// input pieces and one-token groups.
    /// (Variants 4 and 5: groups of 8 and 4 tokens of 10 chunks, which split into halves where a
    /// half has at least a tile's weight-SRAM cycles of tokens: on 16-bank ports (4 cycles)
    /// only the group of 8; with an array queue of one product, every product waits for the
    /// one before.)
    @Test(arguments: [0, 1, 2, 3, 4, 5])
    func matchesTheReferenceOnOtherMachines(_ variant: Int) throws {
        var config = MachineConfig()
        var (out, inFeatures, tokens) = (37, 150, 5)
        switch variant {
        case 0: config.vlen = 7; config.rows = 3
        case 1: config.vlen = 20; config.rows = 20; config.packing = .twoBit
        case 2: config.activationSRAM.size = 2048
        case 3: config.vlen = 65; config.rows = 33; config.dmaLatency = 0; config.dmaQueueDepth = 2
        case 4: config.weightSRAM.banks = 16; config.activationSRAM.banks = 8; (out, inFeatures, tokens) = (70, 640, 12)
        default: config.arrayQueueDepth = 1; config.dmaQueueDepth = 4; (out, inFeatures, tokens) = (70, 640, 12)
        }
        let (weights, x) = Self.case_(out: out, in: inFeatures, tokens: tokens, seed: UInt64(100 + variant))
        let run = try BitLinearLayer.run(try BitLinearLayer.compile(weights: weights, input: x, tokens: tokens, config: config))
        let (q, scales) = BitNetReference.quantizeActivations(x, tokens: tokens, features: inFeatures)
        let acc = BitNetReference.accumulate(q, tokens: tokens, weights)
        #expect(run.accumulators == acc)
        let y = BitNetReference.dequantize(acc, tokens: tokens, rows: out, activationScales: scales, weightScale: weights.scale)
        #expect(run.outputs.map(\.bitPattern) == y.map(\.bitPattern))
    }

    /// 2B-4T-sized shapes: the k/v projection (640 x 2560) for one decode token, and
    /// 2560 x 640 over two tokens.
    @Test(arguments: [(640, 2560, 1), (2560, 640, 2)])
    func largeShapes(_ out: Int, _ inFeatures: Int, _ tokens: Int) throws {
        let (weights, x) = Self.case_(out: out, in: inFeatures, tokens: tokens, seed: 77)
        let run = try BitLinearLayer.run(try BitLinearLayer.compile(weights: weights, input: x, tokens: tokens, config: MachineConfig()))
        let (q, scales) = BitNetReference.quantizeActivations(x, tokens: tokens, features: inFeatures)
        let acc = BitNetReference.accumulate(q, tokens: tokens, weights)
        #expect(run.accumulators == acc)
        let y = BitNetReference.dequantize(acc, tokens: tokens, rows: out, activationScales: scales, weightScale: weights.scale)
        #expect(run.outputs.map(\.bitPattern) == y.map(\.bitPattern))
        #expect(run.result.counters.tritMACs == out * inFeatures * tokens)
    }

    @Test func badShapesAreCompileErrors() {
        let weights = TernaryWeights(rows: 2, columns: 3, trits: [1, 0, -1, 0, 1, 1], scale: 0.5)
        #expect(throws: CompileError.self) { try BitLinearLayer.compile(weights: weights, input: [1, 2], tokens: 1, config: MachineConfig()) }
        #expect(throws: CompileError.self) { try BitLinearLayer.compile(weights: weights, input: [], tokens: 0, config: MachineConfig()) }
        #expect(throws: CompileError.self) { try BitLinearLayer.compile(weights: weights, input: [1, .nan, 2], tokens: 1, config: MachineConfig()) }
        var tiny = MachineConfig()
        tiny.weightSRAM.size = tiny.tileBytes
        #expect(throws: CompileError.self) { try BitLinearLayer.compile(weights: weights, input: [1, 2, 3], tokens: 1, config: tiny) }
    }

    /// The program does not grow with the token count: loops over token groups and row
    /// blocks, not unrolled code (on the default machine and on machines with ragged
    /// chunks, small activation SRAMs (several input pieces) and 2-bit packing). Two token
    /// counts with the same group size and the same partial last group give the same code
    /// size, and any count stays below a bound that does not mention tokens.
    @Test(arguments: [(1, 1), (33, 65), (96, 1000), (3, 200), (640, 2560)])
    func programSizeDoesNotGrowWithTokens(out: Int, inFeatures: Int) throws {
        var small = MachineConfig()
        small.activationSRAM.size = 2048
        var narrow = MachineConfig()
        narrow.vlen = 20
        narrow.rows = 7
        narrow.packing = .twoBit
        for config in [MachineConfig(), small, narrow] {
            var sizes: [Int: Int] = [:]
            for tokens in [13, 25, 865] {
                let (weights, x) = Self.case_(out: out, in: inFeatures, tokens: tokens, seed: 7)
                guard let compiled = try? BitLinearLayer.compile(weights: weights, input: x, tokens: tokens, config: config) else { continue }
                sizes[tokens] = compiled.image.code.count
                #expect(compiled.image.code.count < 2_000 + 300 * compiled.plan.pieces, "\(out) x \(inFeatures) x \(tokens): \(compiled.image.code.count) instructions")
            }
            // 25 and 865 = 25 + lcm(1 ... 8) tokens leave the same last group whatever the group
            // size; only constants (addi or lui + ori) may differ.
            if let a = sizes[25], let b = sizes[865] { #expect(abs(a - b) <= 4, "\(out) x \(inFeatures): \(a) vs \(b) instructions") }
        }
    }

    /// `--emit-asm`: the compiled layer's text (with comments and its DRAM data) assembles
    /// into the identical image, on machines with ragged chunks and several input pieces.
    @Test(arguments: [(33, 65, 7), (3, 200, 1)])
    func emittedTextAssemblesToTheSameImage(out: Int, inFeatures: Int, tokens: Int) throws {
        var small = MachineConfig()
        small.activationSRAM.size = 2048
        for config in [MachineConfig(), small] {
            let (weights, x) = Self.case_(out: out, in: inFeatures, tokens: tokens, seed: 3)
            let compiled = try BitLinearLayer.compile(weights: weights, input: x, tokens: tokens, config: config)
            let assembled = Assembler.assemble(source: compiled.source, fileName: "layer.nasm")
            #expect(assembled.image == compiled.image, "\(assembled.renderedDiagnostics)")
            #expect(compiled.source.contains("; BitLinear"))
        }
    }

    /// Layers whose tensors exceed the DRAM, or whose sums could overflow int32, are compile
    /// errors before any code is built; many tokens are not (the code loops over groups).
    @Test func oversizedLayersAreRejectedUpFront() throws {
        _ = try BitLinearPlan(tokens: 100_000, inFeatures: 64, outFeatures: 64, config: MachineConfig())
        #expect(throws: CompileError.self) {
            try BitLinearPlan(tokens: 10_000_000, inFeatures: 640, outFeatures: 64, config: MachineConfig())
        }
        var wide = MachineConfig()
        wide.weightSRAM.size = 1 << 30
        wide.dramSize = 1 << 32
        #expect(throws: CompileError.self) {
            try BitLinearPlan(tokens: 1, inFeatures: BitLinearPlan.maxInFeatures + 1, outFeatures: 1, config: wide)
        }
    }
}
