import Foundation
import NMPRuntime
import NMPSimulator
import NMPTestSupport
import Testing

/// The float parts of a decoder block as Hugging Face computes them in float32, written here
/// from the sources and independently of `BlockReference` (no shared helpers): every float32
/// operation is done in Double and rounded once to Float. Rounding the Double result of one
/// +, -, *, / or sqrt of float32 operands to float32 gives the correctly rounded float32
/// result (53 >= 2 * 24 + 2: double rounding is innocuous, S. A. Figueroa, "When is double
/// rounding innocuous?", SIGNUM Newsletter 30(3), 1995), so this is float32 arithmetic
/// reached by another road.
///
/// - RMSNorm: transformers `LlamaRMSNorm.forward` (and `BitNetRMSNorm.forward`, the same
///   code): `variance = hidden_states.to(float32).pow(2).mean(-1, keepdim=True)`;
///   `hidden_states * torch.rsqrt(variance + self.variance_epsilon)`; `self.weight *
///   hidden_states`. `mean` is a sum divided by the count; the sum is taken in index order
///   (torch's own order is its vectorized one, which no Swift code reproduces; nmp's
///   documented convention). The Python float eps enters the float32 add as float32.
///   `torch.rsqrt` on CPU is `1 / sqrt(x)`: two roundings (ATen `Vectorized<float>::rsqrt`).
/// - relu2: transformers `ReLUSquaredActivation.forward`: `torch.square(F.relu(x))`.
/// - silu: transformers `SiLUActivation.forward` is `F.silu`, whose ATen kernel
///   (aten/src/ATen/native/cpu/Activation.cpp `silu_kernel`, and the CUDA one) computes
///   `x / (1 + exp(-x))`: one division, not a multiplication by a rounded sigmoid. `exp` is
///   taken as the correctly rounded float32 exp (torch's libm / Sleef expf is within 1 ulp
///   of it; no portable reference reproduces those).
/// - gate: `BitNetMLP.forward`: `act_fn(gate_proj(x)) * up_proj(x)`.
enum HFBlockMath {
    /// A float32 result from its exact (or Double-rounded) value.
    @inline(__always) static func f32(_ value: Double) -> Float { Float(value) }

    static func rmsNorm(_ x: [Float], tokens: Int, features: Int, weight: [Float], epsilon: Float) -> [Float] {
        var y: [Float] = []
        y.reserveCapacity(x.count)
        var token = 0
        while token < tokens {
            let first = token * features
            var sumOfSquares: Float = 0
            var i = first
            while i < first + features {
                let square = f32(Double(x[i]) * Double(x[i]))          // pow(2)
                sumOfSquares = f32(Double(sumOfSquares) + Double(square))  // sum, in index order
                i += 1
            }
            let variance = f32(Double(sumOfSquares) / Double(features))   // mean
            let shifted = f32(Double(variance) + Double(epsilon))       // + eps
            let root = f32(Double(shifted).squareRoot())                 // sqrt
            let reciprocalRoot = f32(1 / Double(root))                   // 1 / sqrt
            for j in 0..<features {
                let normalized = f32(Double(x[first + j]) * Double(reciprocalRoot))
                y.append(f32(Double(weight[j]) * Double(normalized)))
            }
            token += 1
        }
        return y
    }

    static func relu2(_ x: Float) -> Float {
        if x.isNaN { return x }           // relu propagates NaN, and so does square
        let relu: Float = x > 0 ? x : 0
        return f32(Double(relu) * Double(relu))
    }

    static func silu(_ x: Float) -> Float {
        let e = Float(Foundation.exp(-Double(x)))
        let denominator = f32(1 + Double(e))
        return f32(Double(x) / Double(denominator))
    }

    static func gate(_ g: [Float], _ u: [Float], activation: ModelConfig.Activation) -> [Float] {
        var out = [Float](repeating: 0, count: g.count)
        for i in g.indices {
            let a = activation == .relu2 ? relu2(g[i]) : silu(g[i])
            out[i] = f32(Double(a) * Double(u[i]))
        }
        return out
    }

    /// The FFN with the BitLinears of the reference numerics and the float parts above.
    static func ffn(_ x: [Float], tokens: Int, gate gw: TernaryWeights, up uw: TernaryWeights, down dw: TernaryWeights,
                    activation: ModelConfig.Activation, subNormWeight: [Float], epsilon: Float) -> [Float] {
        let g = BitNetReference.bitLinear(x, tokens: tokens, weights: gw)
        let u = BitNetReference.bitLinear(x, tokens: tokens, weights: uw)
        let h = rmsNorm(gate(g, u, activation: activation), tokens: tokens, features: gw.rows, weight: subNormWeight, epsilon: epsilon)
        return BitNetReference.bitLinear(h, tokens: tokens, weights: dw)
    }
}

/// Equal bit patterns, or both NaN (a NaN's payload is not specified by torch either).
private func same(_ a: Float, _ b: Float) -> Bool { a.bitPattern == b.bitPattern || (a.isNaN && b.isNaN) }

/// Equal counts and every element `same`.
private func bitEqual(_ a: [Float], _ b: [Float]) -> Bool { a.count == b.count && a.indices.allSatisfy { same(a[$0], b[$0]) } }

/// The indices where two arrays differ, with the values, for failure messages (at most 5).
private func differences(_ actual: [Float], _ expected: [Float]) -> String {
    guard actual.count == expected.count else { return "counts \(actual.count) vs \(expected.count)" }
    let bad = actual.indices.filter { !same(actual[$0], expected[$0]) }
    return "\(bad.count) of \(actual.count) differ: " + bad.prefix(5).map { "[\($0)] \(actual[$0]) vs \(expected[$0])" }.joined(separator: ", ")
}

/// Blocks with their BitLinears on the machine equal the reference blocks, and the reference
/// block's float parts equal an independent model of Hugging Face's float32 code.
struct BlockTests {
    static func weights(_ rows: Int, _ columns: Int, _ rng: inout SplitMix64) -> TernaryWeights {
        let w = (0..<rows * columns).map { _ in Float(Int(rng.next() % 2001) - 1000) / 20000 }
        return BitNetReference.quantizeWeights(w, rows: rows, columns: columns)
    }

    /// A float with a random 24-bit significand, sign and a binary exponent in `exponents`,
    /// or zero one time in 16: wide dynamic range, so that rounding matters everywhere.
    static func wideFloat(_ rng: inout SplitMix64, exponents: ClosedRange<Int>) -> Float {
        let r = rng.next()
        if r % 16 == 0 { return 0 }
        let significand = Float(1 + Double(r >> 40) / Double(1 << 24))   // [1, 2), 24 bits
        let exponent = exponents.lowerBound + Int((r >> 8) % UInt64(exponents.count))
        return (r & 2 == 0 ? 1 : -1) * Float(sign: .plus, exponent: exponent, significand: significand)
    }

    static let edgeValues: [Float] = [
        0, -0.0, 1, -1, 0.5, -0.5, 2, -2, .infinity, -.infinity, .nan,
        .greatestFiniteMagnitude, -.greatestFiniteMagnitude, .leastNonzeroMagnitude, -.leastNonzeroMagnitude,
        .leastNormalMagnitude, -.leastNormalMagnitude, 1e-20, -1e-20, 1.8446744e19, -1.8446744e19,
        88.72, -88.72, 103.9, -103.9, 16.635532, -16.635532, 87.33655, -87.33655,
    ]

    /// relu2 and silu of many seeded random floats (moderate and extreme ranges, and random
    /// bit patterns) and the edge values, against the independent model, bit for bit.
    @Test(arguments: ModelConfig.Activation.allCases)
    func activationMatchesHuggingFaceFloat32(_ activation: ModelConfig.Activation) {
        var rng = SplitMix64(seed: activation == .relu2 ? 0xA11 : 0xA12)
        var inputs = Self.edgeValues
        inputs += (0..<20_000).map { _ in Float(Double(rng.next() >> 11) / Double(1 << 53) * 40 - 20) }
        inputs += (0..<20_000).map { _ in Self.wideFloat(&rng, exponents: -149...127) }
        inputs += (0..<20_000).map { _ in Float(bitPattern: UInt32(truncatingIfNeeded: rng.next())) }
        let actual = inputs.map { activation == .relu2 ? BlockReference.relu2($0) : BlockReference.silu($0) }
        let expected = inputs.map { activation == .relu2 ? HFBlockMath.relu2($0) : HFBlockMath.silu($0) }
        let bad = inputs.indices.filter { !same(actual[$0], expected[$0]) }
        let examples = bad.prefix(5).map { "x = \(inputs[$0]) (0x\(String(inputs[$0].bitPattern, radix: 16))): \(actual[$0]) vs \(expected[$0])" }
        #expect(bad.count == 0, "\(activation): \(bad.count) of \(inputs.count) differ, e.g. \(examples.joined(separator: "; "))")
        // The gated product: act(g) * u, element by element.
        let g = Array(inputs.prefix(5000)), u = (0..<g.count).map { _ in Self.wideFloat(&rng, exponents: -10...10) }
        let gated = BlockReference.gate(g, u, activation: activation)
        let expectedGated = HFBlockMath.gate(g, u, activation: activation)
        let gatedEqual = bitEqual(gated, expectedGated)
        #expect(gatedEqual, "\(differences(gated, expectedGated))")
    }

    /// RMSNorm over edge widths (1, lane width 64 +- 1, odd sizes, a 2B-4T hidden size),
    /// several tokens of wide-range seeded values (one all-zero token), several epsilons,
    /// against the independent model, bit for bit.
    @Test(arguments: [1, 2, 3, 31, 63, 64, 65, 97, 128, 255, 2560], [Float(1e-5), 1e-6, 0])
    func rmsNormMatchesHuggingFaceFloat32(_ features: Int, _ epsilon: Float) {
        var rng = SplitMix64(seed: UInt64(features) &* 7919 &+ UInt64(epsilon.bitPattern))
        let tokens = 5
        var x = (0..<tokens * features).map { _ in Self.wideFloat(&rng, exponents: -30...30) }
        for i in 0..<features { x[2 * features + i] = 0 }            // token 2: all zero
        for i in 0..<features { x[3 * features + i] = Float(Int(rng.next() % 2001) - 1000) / 300 }  // token 3: moderate
        let weight = (0..<features).map { _ in Self.wideFloat(&rng, exponents: -3...3) }
        let actual = BlockReference.rmsNorm(x, tokens: tokens, features: features, weight: weight, epsilon: epsilon)
        let expected = HFBlockMath.rmsNorm(x, tokens: tokens, features: features, weight: weight, epsilon: epsilon)
        let equal = bitEqual(actual, expected)
        #expect(equal,
                "width \(features), eps \(epsilon): \(differences(actual, expected))")
        // The all-zero token with eps > 0 normalizes to zeros (rsqrt(eps) is finite); the
        // moderate token to finite values of RMS about 1 before the weight.
        if epsilon > 0 {
            #expect(actual[(2 * features)..<(3 * features)].allSatisfy { $0 == 0 })
            #expect(actual[(3 * features)..<(4 * features)].allSatisfy { $0.isFinite })
        }
    }

    /// The whole FFN, BitLinears on the machine and float parts on the host, equals the
    /// reference BitLinears composed with the independent float parts, bit for bit; and so
    /// does the reference block. Shapes: 1, lane width and odd widths, up to 7 tokens.
    @Test(arguments: ModelConfig.Activation.allCases, [(1, 1, 1), (63, 65, 2), (64, 128, 1), (70, 97, 3), (65, 33, 7)])
    func ffnMatchesTheReferenceBlock(_ activation: ModelConfig.Activation, _ shape: (Int, Int, Int)) throws {
        let (hidden, ffn, tokens) = shape
        var rng = SplitMix64(seed: (activation == .relu2 ? 11 : 12) &+ UInt64(hidden * 1000 + ffn))
        let gate = Self.weights(ffn, hidden, &rng), up = Self.weights(ffn, hidden, &rng), down = Self.weights(hidden, ffn, &rng)
        let x = (0..<tokens * hidden).map { _ in Float(Int(rng.next() % 2001) - 1000) / 300 }
        let norm = (0..<ffn).map { _ in Float(Int(rng.next() % 100) + 50) / 100 }
        let block = try Blocks.ffn(x, tokens: tokens, gate: gate, up: up, down: down, activation: activation,
                                   subNormWeight: norm, epsilon: 1e-5, config: MachineConfig())
        let expected = HFBlockMath.ffn(x, tokens: tokens, gate: gate, up: up, down: down, activation: activation,
                                       subNormWeight: norm, epsilon: 1e-5)
        #expect(block.output.count == tokens * hidden)
        let machineEqual = bitEqual(block.output, expected)
        #expect(machineEqual, "machine block: \(differences(block.output, expected))")
        let reference = BlockReference.ffn(x, tokens: tokens, gate: gate, up: up, down: down, activation: activation,
                                           subNormWeight: norm, epsilon: 1e-5)
        let referenceEqual = bitEqual(reference, expected)
        #expect(referenceEqual, "BlockReference.ffn: \(differences(reference, expected))")
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
        // The independent model on the same values, exactly: [3, 4] has mean square 12.5,
        // and [1, 1, 1, 1] with eps 0 normalizes to 1 exactly.
        #expect(HFBlockMath.rmsNorm([1, 1, 1, 1], tokens: 1, features: 4, weight: [1, 2, 3, 4], epsilon: 0) == [1, 2, 3, 4])
        #expect(HFBlockMath.relu2(-3) == 0 && HFBlockMath.relu2(3) == 9 && HFBlockMath.silu(0) == 0)
        #expect(abs(HFBlockMath.silu(2) - 1.7615942) < 1e-6)  // 2 / (1 + e^-2) = 1.76159415...
    }
}
