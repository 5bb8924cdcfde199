import NMPRuntime
import NMPSimulator
import NMPTestSupport
import Testing

/// Blocks with their BitLinears on the machine equal the reference blocks.
struct BlockTests {
    static func weights(_ rows: Int, _ columns: Int, _ rng: inout SplitMix64) -> TernaryWeights {
        let w = (0..<rows * columns).map { _ in Float(Int(rng.next() % 2001) - 1000) / 20000 }
        return BitNetReference.quantizeWeights(w, rows: rows, columns: columns)
    }

    @Test(arguments: ModelConfig.Activation.allCases)
    func ffnMatchesTheReferenceBlock(_ activation: ModelConfig.Activation) throws {
        var rng = SplitMix64(seed: activation == .relu2 ? 11 : 12)
        let (hidden, ffn, tokens) = (70, 97, 3)
        let gate = Self.weights(ffn, hidden, &rng), up = Self.weights(ffn, hidden, &rng), down = Self.weights(hidden, ffn, &rng)
        let x = (0..<tokens * hidden).map { _ in Float(Int(rng.next() % 2001) - 1000) / 300 }
        let norm = (0..<ffn).map { _ in Float(Int(rng.next() % 100) + 50) / 100 }
        let block = try Blocks.ffn(x, tokens: tokens, gate: gate, up: up, down: down, activation: activation,
                                   subNormWeight: norm, epsilon: 1e-5, config: MachineConfig())
        let reference = BlockReference.ffn(x, tokens: tokens, gate: gate, up: up, down: down, activation: activation,
                                           subNormWeight: norm, epsilon: 1e-5)
        #expect(block.output.map(\.bitPattern) == reference.map(\.bitPattern))
        #expect(block.runs.map(\.name) == ["gate_proj", "up_proj", "down_proj"])
    }

    @Test func groupedQueryProjectionsMatchTheReference() throws {
        var rng = SplitMix64(seed: 21)
        let (hidden, heads, kvHeads, headDim, tokens) = (96, 6, 2, 16, 2)
        let q = Self.weights(heads * headDim, hidden, &rng)
        let k = Self.weights(kvHeads * headDim, hidden, &rng), v = Self.weights(kvHeads * headDim, hidden, &rng)
        let x = (0..<tokens * hidden).map { _ in Float(Int(rng.next() % 2001) - 1000) / 100 }
        let block = try Blocks.qkv(x, tokens: tokens, q: q, k: k, v: v, config: MachineConfig())
        let rq = BitNetReference.bitLinear(x, tokens: tokens, weights: q)
        let rk = BitNetReference.bitLinear(x, tokens: tokens, weights: k)
        let rv = BitNetReference.bitLinear(x, tokens: tokens, weights: v)
        var expected: [Float] = []
        for t in 0..<tokens {
            expected.append(contentsOf: rq[(t * 96)..<((t + 1) * 96)])
            expected.append(contentsOf: rk[(t * 32)..<((t + 1) * 32)])
            expected.append(contentsOf: rv[(t * 32)..<((t + 1) * 32)])
        }
        #expect(block.output.map(\.bitPattern) == expected.map(\.bitPattern))
        #expect(throws: CompileError.self) { try Blocks.qkv(x, tokens: tokens, q: k, k: q, v: v, config: MachineConfig()) }
    }

    @Test func referencePiecesOnHandComputedValues() {
        #expect(BlockReference.relu2(-3) == 0)
        #expect(BlockReference.relu2(3) == 9)
        #expect(abs(BlockReference.silu(0)) == 0)
        #expect(abs(BlockReference.silu(2) - 2 / (1 + Float(0.1353352832366127))) < 1e-6)
        // RMSNorm of [3, 4]: mean of squares 12.5, 1 / sqrt(12.5 + 0) = 0.2828..., weight 1.
        let n = BlockReference.rmsNorm([3, 4], tokens: 1, features: 2, weight: [1, 2], epsilon: 0)
        #expect(abs(n[0] - 3 / Float(12.5).squareRoot()) < 1e-6 && abs(n[1] - 8 / Float(12.5).squareRoot()) < 1e-6)
    }
}
