import Foundation
import NMPRuntime
import NMPTestSupport
import Testing

// The decoder reference of ISA.md chapter 11 (DecoderReference, FloatKernelsReference):
// hand-derived cases of the float building blocks (the arithmetic is in the comments), the
// blocks against float64 computations within error bounds, and a whole tiny model against a
// float64 implementation of the Hugging Face model written here (HF64Decoder). Nothing here
// calls the code under test to make an expected value.

/// The distance in units in the last place between two non-negative floats (their bit
/// patterns are ordered like their values; +infinity is one step above the largest finite).
private func ulps(_ a: Float, _ b: Float) -> UInt32 {
    let x = a.bitPattern, y = b.bitPattern
    return x > y ? x - y : y - x
}

/// A seeded float in -scale ..< scale.
private func uniform(_ rng: inout SplitMix64, _ scale: Float = 1) -> Float {
    (Float(rng.next() >> 40) / Float(1 << 24) * 2 - 1) * scale
}

struct DecoderReferenceTests {
    typealias Ref = DecoderReference

    // MARK: exp

    /// Within 2 ulp of the correctly rounded exp (Foundation's Double exp, rounded once to
    /// Float) over a dense sweep of the normal range and seeded random points.
    @Test func expIsWithinTwoUlpOverTheNormalRange() {
        var worst: UInt32 = 0
        var worstX: Float = 0
        func check(_ x: Float) {
            let expected = Float(Foundation.exp(Double(x)))
            let d = ulps(Ref.exp(x), expected)
            if d > worst { worst = d; worstX = x }
        }
        let steps = 400_000
        for i in 0...steps { check(-87 + 175 * Float(i) / Float(steps)) }
        var rng = SplitMix64(seed: 0xE4F)
        for _ in 0..<100_000 { check(uniform(&rng, 1) * 88) }
        for _ in 0..<20_000 { check(uniform(&rng, 1) * 0.01) }  // r small, n = 0
        #expect(worst <= 2, "exp(\(worstX)) is \(worst) ulp from the correctly rounded value")
    }

    /// Subnormal results (x from -87.4 down to the underflow bound): the error is counted in
    /// units of the smallest subnormal, and stays within 2.
    @Test func expSubnormalResults() {
        var worst: UInt32 = 0
        let steps = 50_000
        for i in 0...steps {
            let x = -103.97 + 16.6 * Float(i) / Float(steps)
            let expected = Float(Foundation.exp(Double(x)))
            worst = max(worst, ulps(Ref.exp(x), expected))
        }
        #expect(worst <= 2)
        #expect(Ref.exp(-100).isSubnormal)
    }

    /// NaN (any sign or payload) gives the canonical NaN; +inf and -inf the limits; exp(+-0)
    /// is exactly 1 (n = 0, r = 0: Horner's rule leaves C0 = 1); values beyond the bounds
    /// 0x42B17218 and -0x42CFF1B5 saturate; a tiny x gives 1.
    static let expSpecials: [(Float, Float)] = [
        (Float(bitPattern: 0xFFC0_0001), Float(bitPattern: 0x7FC0_0000)),
        (Float.nan, Float(bitPattern: 0x7FC0_0000)),
        (Float.infinity, Float.infinity),
        (-Float.infinity, 0),
        (0, 1), (-0.0, 1),
        (1e30, Float.infinity), (-1e30, 0),
        (Float(bitPattern: 0x42B1_7219), Float.infinity),          // one ulp above the bound
        (-Float(bitPattern: 0x42CF_F1B6), 0),                      // one ulp below minus the bound
        (1e-30, 1), (-1e-30, 1),
        (Float.leastNonzeroMagnitude, 1),
    ]

    @Test(arguments: expSpecials)
    func expSpecialValues(x: Float, expected: Float) {
        #expect(Ref.exp(x).bitPattern == expected.bitPattern, "exp(\(x))")
    }

    /// Near the bounds the result is what the correctly rounded exp gives, up to 1 ulp
    /// (+infinity counts as one ulp above the largest float).
    @Test func expNearTheBounds() {
        for bits: UInt32 in 0x42B1_7210...0x42B1_7218 {
            let x = Float(bitPattern: bits)
            #expect(ulps(Ref.exp(x), Float(Foundation.exp(Double(x)))) <= 1, "exp(\(x))")
        }
        let low = -Float(bitPattern: 0x42CF_F1B5)
        #expect(ulps(Ref.exp(low), Float(Foundation.exp(Double(low)))) <= 1)
    }

    // MARK: tree

    /// Hand-derived pairwise sums. With a = 2^24, a + 1 is a tie that rounds to the even a,
    /// while a + 2 is exact, so the grouping shows:
    /// - n = 0: +0.0; n = 1: +0.0 + s[0] (so -0.0 becomes +0.0);
    /// - n = 2: [-0, -0]: -0 + -0 = -0, then +0 + -0 = +0;
    /// - n = 3: [a, 1, 1]: (a + 1) + 1 = a + 1 = a (two ties), the odd 1 moves up a level;
    /// - n = 5: [a, 0, 1, 1, 0]: [a, 2, 0] -> [a + 2, 0] -> a + 2 (left to right: a);
    /// - n = 8: [a, 1, 1, 0, 1, 1, 0, 0]: [a, 1, 2, 0] -> [a, 2] -> a + 2.
    static let treeCases: [([Float], Float)] = [
        ([Float](), Float(0)),
        ([-0.0], 0), ([3], 3),
        ([-0.0, -0.0], 0), ([1, 2], 3),
        ([0x1p24, 1, 1], 0x1p24),
        ([0x1p24, 0, 1, 1, 0], 0x1p24 + 2),
        ([0x1p24, 1, 1, 0, 1, 1, 0, 0], 0x1p24 + 2),
        ([-0.0, -0.0, -0.0], 0),
        ([1, 2, 3, 4, 5], 15),
    ]

    @Test(arguments: treeCases)
    func treeHandCases(values: [Float], expected: Float) {
        #expect(Ref.tree(values).bitPattern == expected.bitPattern, "tree(\(values))")
    }

    /// A NaN operand, or inf + -inf, gives the canonical NaN whatever the host's NaN.
    static let nanCases: [[Float]] = [
        [Float(1), Float(bitPattern: 0xFFC0_0001), 2],
        [Float.infinity, -Float.infinity],
        [1, 2, 3, Float.infinity, 5, -Float.infinity, 7, 8],
    ]

    @Test(arguments: nanCases)
    func treeNaN(values: [Float]) {
        #expect(Ref.tree(values).bitPattern == 0x7FC0_0000)
    }

    // MARK: dot, sum, max

    /// The lanes: a = [2^24, 1, 0, 1] dotted with ones.
    /// - vlen 1: one lane, 2^24 + 1 (tie -> 2^24) + 0 + 1 (tie) = 2^24;
    /// - vlen 2: lanes [2^24 + 0, 1 + 1] = [2^24, 2], tree 2^24 + 2;
    /// - vlen 4 (or more: 4 lanes): tree [2^24, 1, 0, 1] -> [2^24 + 1 = 2^24, 1] -> 2^24.
    static let laneCases: [(Int, Float)] = [(1, 0x1p24), (2, 0x1p24 + 2), (4, 0x1p24), (64, 0x1p24)]

    @Test(arguments: laneCases)
    func dotLanes(vlen: Int, expected: Float) {
        #expect(Ref.dot([0x1p24, 1, 0, 1], [1, 1, 1, 1], count: 4, vlen: vlen) == expected)
        #expect(Ref.sum([0x1p24, 1, 0, 1], count: 4, vlen: vlen) == expected)
    }

    /// Each lane is one fma: with vlen 1, p = -(1 + 2^-11), then
    /// fma(1 + 2^-12, 1 + 2^-12, p) = exactly 2^-24; a rounded product (1 + 2^-11 + 2^-24 is
    /// a tie that rounds to 1 + 2^-11) would give 0. `count` ignores elements past it; an
    /// empty dot is +0.0.
    @Test func dotFusesEachProduct() {
        let a: Float = 1 + 0x1p-12
        #expect(Ref.dot([1, a], [-(1 + 0x1p-11), a], count: 2, vlen: 1) == 0x1p-24)
        #expect(Ref.dot([2, 3, 100], [5, 7, 100], count: 2, vlen: 8) == 31)
        #expect(Ref.dot([], [], count: 0, vlen: 8).bitPattern == 0)
        #expect(Ref.dot([-1], [0], count: 1, vlen: 8).bitPattern == 0)  // -0 + +0.0 -> +0
    }

    /// Against the exact dot (float products are exact in Double, and the Double sum's error
    /// is far below the bound): lane l sums `chunks` terms and the tree adds ceil(log2 L)
    /// levels plus its final +0.0, so the error is at most
    /// (chunks + log2(L) + 1) * 2^-24 * sum |a_i b_i| (each rounding relative 2^-24 of
    /// a partial sum bounded by the sum of magnitudes; the fma's product is not rounded).
    @Test(arguments: [(1, 1), (7, 8), (40, 8), (100, 16), (257, 32), (1000, 4), (64, 64), (10, 64)])
    func dotAgainstExactDouble(count: Int, vlen: Int) {
        var rng = SplitMix64(seed: UInt64(count * 1000 + vlen))
        for _ in 0..<20 {
            let a = (0..<count).map { _ in uniform(&rng, 3) }
            let b = (0..<count).map { _ in uniform(&rng, 3) }
            var exact = 0.0, magnitude = 0.0
            for i in 0..<count { exact += Double(a[i]) * Double(b[i]); magnitude += abs(Double(a[i]) * Double(b[i])) }
            let lanes = min(count, vlen)
            let chunks = (count + vlen - 1) / vlen
            let levels = Int(ceil(log2(Double(lanes))))
            let bound = Double(chunks + levels + 1) * 0x1p-24 * magnitude
            let got = Double(Ref.dot(a, b, count: count, vlen: vlen))
            #expect(abs(got - exact) <= bound, "dot of \(count) with vlen \(vlen): \(got) vs \(exact)")
        }
    }

    /// The maximum orders -0.0 below +0.0 and turns a NaN into the canonical NaN; the
    /// maximum of nothing is -infinity.
    @Test func maxCases() {
        #expect(Ref.max([-0.0, 0], count: 2).bitPattern == 0)
        #expect(Ref.max([0, -0.0], count: 2).bitPattern == 0)
        #expect(Ref.max([-0.0], count: 1).bitPattern == 0x8000_0000)
        #expect(Ref.max([3, -7, 2.5], count: 3) == 3)
        #expect(Ref.max([3, 9], count: 1) == 3)
        #expect(Ref.max([], count: 0) == -.infinity)
        #expect(Ref.max([1, Float(bitPattern: 0xFFC0_0001), 5], count: 3).bitPattern == 0x7FC0_0000)
    }

    // MARK: rmsnorm

    /// Against float64: y = x * w / sqrt(mean(x^2) + eps). The sum of squares (positive
    /// terms) has relative error at most (chunks + log2 L + 1) u, u = 2^-24; the square
    /// root halves it; the add, sqrt, division and the two products add 0.5 ulp each. So the
    /// relative error is below ((chunks + log2 L + 1) / 2 + 3) u.
    @Test(arguments: [(40, 8), (72, 16), (256, 32), (5, 64), (2560, 64)])
    func rmsNormAgainstDouble(count: Int, vlen: Int) {
        var rng = SplitMix64(seed: UInt64(count * 7 + vlen))
        let eps = 1e-5
        let x = (0..<count).map { _ in uniform(&rng, 2) }
        let w = (0..<count).map { _ in BFloat16.bits(0.5 + abs(uniform(&rng))) }
        let y = Ref.rmsNorm(x, weight: w, eps: Float(eps), vlen: vlen)
        let mean = x.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(count)
        let r = 1 / (mean + Double(Float(eps))).squareRoot()
        let chunks = (count + vlen - 1) / vlen
        let levels = Int(ceil(log2(Double(min(count, vlen)))))
        let relative = (Double(chunks + levels + 1) / 2 + 3) * 0x1p-24
        for i in 0..<count {
            let expected = Double(x[i]) * r * Double(Float(bitPattern: UInt32(w[i]) << 16))
            #expect(abs(Double(y[i]) - expected) <= relative * abs(expected) + 1e-30, "y[\(i)]")
        }
    }

    /// Hand case: x = [3, 4], eps = 0, w = [1, 2]: ss = 25, mean = 12.5, r = 1/sqrt(12.5)
    /// = 0.28284273 (rounded twice: sqrt(12.5) = 3.5355339 first), y = [0.8485282, 2.2627418].
    @Test func rmsNormHandCase() {
        let y = Ref.rmsNorm([3, 4], weight: [BFloat16.bits(1), BFloat16.bits(2)], eps: 0, vlen: 8)
        let root = Float(12.5).squareRoot()
        let r = 1 / root
        #expect(y == [3 * r, 4 * r * 2])
        #expect(abs(Double(y[0]) - 3 / 12.5.squareRoot()) < 1e-6)
    }

    // MARK: RoPE

    /// The tables against float64 cos and sin of p * theta^(-2i/d). The float32 angle
    /// differs from the exact one by the roundings of the exponent, the power, the
    /// reciprocal and the product: relative at most about 4 * 2^-24 (the exponent's rounding
    /// moves theta^e by ln(theta) * e * 2^-24 relative, below 14 * 2^-24 for theta 5e5), so
    /// |table - exact| <= |angle| * 20 * 2^-24 + 2^-24 (the final rounding of cos).
    @Test(arguments: [(10_000.0, 10, 50), (500_000.0, 128, 300), (10_000.0, 2, 5)])
    func ropeTablesAgainstDouble(theta: Double, headDim: Int, positions: Int) {
        let (cos, sin) = Ref.ropeTables(theta: theta, headDim: headDim, positions: positions)
        let half = headDim / 2
        #expect(cos.count == positions * half && sin.count == positions * half)
        for p in 0..<positions {
            for i in 0..<half {
                let angle = Double(p) * Foundation.pow(theta, -Double(2 * i) / Double(headDim))
                let tolerance = angle * 20 * 0x1p-24 + 0x1p-24
                #expect(abs(Double(cos[p * half + i]) - Foundation.cos(angle)) <= tolerance, "cos[\(p)][\(i)]")
                #expect(abs(Double(sin[p * half + i]) - Foundation.sin(angle)) <= tolerance, "sin[\(p)][\(i)]")
            }
        }
        // Row 0 is the identity rotation; inv_freq[0] = 1, so row p, column 0 is angle p.
        #expect(cos.prefix(half).allSatisfy { $0 == 1 } && sin.prefix(half).allSatisfy { $0 == 0 })
        if positions > 3 { #expect(cos[3 * half] == Float(Foundation.cos(3.0))) }
    }

    /// Hand case, head_dim 2, tables whose row 1 is a quarter turn (cos 0, sin 1):
    /// y = [x1 * 0 - x2 * 1, x2 * 0 + x1 * 1] = [-x2, x1] for each head; row 0 leaves x.
    @Test func ropeHandCase() {
        let cos: [Float] = [1, 0], sin: [Float] = [0, 1]
        #expect(Ref.rope([3, 5, -2, 7], position: 1, cos: cos, sin: sin, headDim: 2) == [-5, 3, -7, -2])
        #expect(Ref.rope([3, 5, -2, 7], position: 0, cos: cos, sin: sin, headDim: 2) == [3, 5, -2, 7])
    }

    /// Against the float64 rotation with the same table values: each output is
    /// a * c -+ b * s with three roundings, within 1.5 ulp of max(|a c|, |b s|) * 2.
    @Test func ropeAgainstDouble() {
        var rng = SplitMix64(seed: 42)
        let d = 16, half = 8
        let (cos, sin) = Ref.ropeTables(theta: 10_000, headDim: d, positions: 20)
        let x = (0..<(3 * d)).map { _ in uniform(&rng, 4) }
        for p in [0, 1, 7, 19] {
            let y = Ref.rope(x, position: p, cos: cos, sin: sin, headDim: d)
            for head in 0..<3 {
                for i in 0..<half {
                    let c = Double(cos[p * half + i]), s = Double(sin[p * half + i])
                    let a = Double(x[head * d + i]), b = Double(x[head * d + half + i])
                    let bound = 2 * (abs(a) + abs(b)) * 0x1p-24
                    #expect(abs(Double(y[head * d + i]) - (a * c - b * s)) <= bound)
                    #expect(abs(Double(y[head * d + half + i]) - (b * c + a * s)) <= bound)
                }
            }
        }
    }

    // MARK: Attention

    /// One key: score - max = 0, exp(0) = 1 exactly, z = 1, prob = 1 and out = fma(1, v, 0)
    /// = v, bit for bit. Two equal keys: e = [1, 1], z = 2, inv = 0.5, out =
    /// fma(0.5, v1, 0.5 * v0): [2, 4] and [6, -8] give [4, -2].
    @Test func attentionHandCases() {
        let q: [Float] = [0.3, -1.7, 2.5, 0.25]
        let k: [Float] = [1.5, 0.5, -0.75, 3]
        let v: [Float] = [0.1, -0.2, 12345.678, -0.0]
        let one = Ref.attention(query: q, keys: k, values: v, count: 1, headDim: 4, vlen: 8)
        #expect(one.map(\.bitPattern) == [0.1, -0.2, 12345.678, 0].map { Float($0).bitPattern })
        let two = Ref.attention(query: [1, 2], keys: [3, 4, 3, 4], values: [2, 4, 6, -8], count: 2, headDim: 2, vlen: 8)
        #expect(two == [4, -2])
    }

    /// Against float64 softmax attention: out = sum_j softmax(q . k_j / sqrt(d))_j v_j.
    /// The float32 path has relative errors of a few ulp in each score (scaled by |score|),
    /// in exp (2 ulp), z and the probabilities; the tolerance 1e-5 * max |v| covers them
    /// with a wide margin for scores of magnitude < 20.
    @Test(arguments: [(1, 10, 8), (5, 10, 8), (17, 64, 16), (40, 128, 64), (3, 2, 1)])
    func attentionAgainstDouble(count: Int, headDim: Int, vlen: Int) {
        var rng = SplitMix64(seed: UInt64(count * 31 + headDim))
        let q = (0..<headDim).map { _ in uniform(&rng, 2) }
        let k = (0..<(count * headDim)).map { _ in uniform(&rng, 2) }
        let v = (0..<(count * headDim)).map { _ in uniform(&rng, 3) }
        let out = Ref.attention(query: q, keys: k, values: v, count: count, headDim: headDim, vlen: vlen)
        var scores = [Double](repeating: 0, count: count)
        for j in 0..<count {
            for i in 0..<headDim { scores[j] += Double(q[i]) * Double(k[j * headDim + i]) }
            scores[j] /= Double(headDim).squareRoot()
        }
        let m = scores.max()!
        let e = scores.map { Foundation.exp($0 - m) }
        let z = e.reduce(0, +)
        let maxV = v.map { abs(Double($0)) }.max()!
        for i in 0..<headDim {
            var expected = 0.0
            for j in 0..<count { expected += e[j] / z * Double(v[j * headDim + i]) }
            #expect(abs(Double(out[i]) - expected) <= 1e-5 * maxV, "out[\(i)]")
        }
    }

    // MARK: The FFN activation and the KV cache

    /// relu2: r = max(g, +0.0), (r * r) * u: g = 3, u = 2 -> 18; g = -2, u = -5 ->
    /// (+0 * +0) * -5 = -0.0; g = -0.0 -> r = +0.0 (-0.0 orders below +0.0) -> +0 * 4 = +0;
    /// NaN -> the canonical NaN. SiLU: g = 0: exp(-0) = 1, t = 2, (0 / 2) * 7 = 0; g = -0.0
    /// likewise gives -0.0 * 7 = -0.0.
    @Test func gatedActivationHandCases() {
        let relu = Ref.gatedActivation(gate: [3, -2, -0.0, Float(bitPattern: 0xFFC0_0001)], up: [2, -5, 4, 1], activation: .relu2)
        #expect(relu.map(\.bitPattern) == [Float(18).bitPattern, Float(-0.0).bitPattern, 0, 0x7FC0_0000])
        let silu = Ref.gatedActivation(gate: [0, -0.0], up: [7, 7], activation: .silu)
        #expect(silu.map(\.bitPattern) == [0, Float(-0.0).bitPattern])
    }

    /// SiLU against float64 g / (1 + e^-g) * u: exp within 2 ulp, then an add, a division
    /// and a product: within 6 ulp relative (the add of 1 can only shrink exp's error).
    @Test func siluAgainstDouble() {
        var rng = SplitMix64(seed: 7)
        let g = (0..<2000).map { _ in uniform(&rng, 30) }
        let u = (0..<2000).map { _ in uniform(&rng, 2) }
        let f = Ref.gatedActivation(gate: g, up: u, activation: .silu)
        for i in g.indices {
            let x = Double(g[i])
            let expected = x / (1 + Foundation.exp(-x)) * Double(u[i])
            #expect(abs(Double(f[i]) - expected) <= 6 * 0x1p-24 * abs(expected) + 1e-37, "silu(\(g[i]))")
        }
    }

    /// bf16 rounds to nearest, ties to even: 1 + 2^-8 is halfway between 1 and 1 + 2^-7 and
    /// goes to 1 (even); 1 + 3 * 2^-8 is halfway between 1 + 2^-7 (odd) and 1 + 2^-6 and
    /// goes to 1 + 2^-6; 1 + 2^-8 + 2^-20 is above the tie and goes up. fp32 keeps all.
    @Test func kvCacheRoundsByFormat() {
        let key: [Float] = [1 + 0x1p-8, 1 + 3 * 0x1p-8, 1 + 0x1p-8 + 0x1p-20]
        var bf16 = Ref.KVCache(format: .bf16, width: 3)
        bf16.append(key: key, value: key.map { -$0 })
        let rounded: [Float] = [1, 1 + 0x1p-6, 1 + 0x1p-7]
        #expect(bf16.keys == rounded)
        #expect(bf16.values == rounded.map { -$0 })
        var fp32 = Ref.KVCache(format: .fp32, width: 3)
        fp32.append(key: key, value: key)
        fp32.append(key: key, value: key)
        #expect(fp32.keys == key + key && fp32.count == 2)
    }

    // MARK: BitLinear

    /// x = [1, -0.5], trits [[1, 1], [1, -1]], scale 0.5: max |x| = 1, s = (1 / 1) * 127 =
    /// 127; codes [127, -63.5 -> -64 (tie to even)]; sums 127 - 64 = 63 and 127 + 64 = 191;
    /// y = (63 / 127) * 0.5 and (191 / 127) * 0.5, each step rounded to float32.
    @Test func bitLinearHandCase() {
        let w = TernaryWeights(rows: 2, columns: 2, trits: [1, 1, 1, -1], scale: 0.5)
        let y = Ref.bitLinear([1, -0.5], weights: w)
        #expect(y == [Float(63) / 127 * 0.5, Float(191) / 127 * 0.5])
    }

    /// Non-finite activations follow the machine's instructions instead of trapping:
    /// x = [inf, 1, -2]: max |x| = inf, s = (1 / inf) * 127 = 0, every product x * 0 is NaN
    /// or zero, so every code is 0 and y = (0 / 0) * 0.5 = the canonical NaN. A NaN input
    /// makes s a NaN: codes 0 again, y = 0 / NaN = NaN.
    @Test func bitLinearNonFinite() {
        let w = TernaryWeights(rows: 2, columns: 3, trits: [1, 1, 1, -1, 0, 1], scale: 0.5)
        #expect(Ref.bitLinear([.infinity, 1, -2], weights: w).map(\.bitPattern) == [0x7FC0_0000, 0x7FC0_0000])
        #expect(Ref.bitLinear([1, .nan, -2], weights: w).map(\.bitPattern) == [0x7FC0_0000, 0x7FC0_0000])
    }

    /// A model whose activations overflow (an input norm weight of 2^127) runs to the end:
    /// the infinities become NaNs, every one the canonical NaN, and nothing traps.
    @Test func overflowingModelDoesNotTrap() {
        var weights = DecoderWeights.random(Self.tinyConfig(.silu), seed: 2)
        weights.layers[0].inputNorm = weights.layers[0].inputNorm.map { _ in 0x7F00 }  // 2^127
        weights.layers[0].postAttentionNorm = weights.layers[0].inputNorm
        var reference = DecoderReference(weights: weights, vlen: 8)
        let logits = reference.forward(Self.tokens(3, seed: 4), allLogits: true)
        #expect(logits.count == 3)
        #expect(logits.joined().contains { $0.isNaN })
        #expect(logits.joined().allSatisfy { !$0.isNaN || $0.bitPattern == 0x7FC0_0000 })
    }

    // MARK: The whole decoder

    static func tinyConfig(_ activation: ModelConfig.Activation) -> ModelConfig {
        ModelConfig(modelType: activation == .relu2 ? "bitnet" : "llama", hiddenSize: 40, intermediateSize: 72, layers: 2,
                    attentionHeads: 4, keyValueHeads: 2, headDim: 10, vocabSize: 97, activation: activation,
                    rmsNormEps: activation == .relu2 ? 1e-5 : 1e-6, ropeTheta: activation == .relu2 ? 500_000 : 10_000,
                    maxPositions: 64, tiedEmbeddings: activation == .silu)
    }

    static func tokens(_ count: Int, seed: UInt64) -> [Int] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { _ in Int(rng.next() % 97) }
    }

    /// A whole random model against the float64 HF model below (with its KV cache rounded
    /// to bf16 when the reference's is). This is a sanity check of the wiring (norms, RoPE,
    /// GQA, cache, residuals, head), not of the rounding, so the tolerance is loose: the
    /// BitLinear rounds x * s to integer codes, and where the float32 x * s falls on the
    /// other side of a .5 than the float64 one a code moves by 1 and the outputs by
    /// scale / s, which later layers carry on. Without such a flip the logits agree to about
    /// 3e-7 of the largest; over 40 seeds one flip gave 6e-3; 2e-2 leaves room. A wiring
    /// error (a wrong KV head, RoPE at the wrong position, a missing norm) moves the logits
    /// by about their own size.
    @Test(arguments: ModelConfig.Activation.allCases, [KVCacheFormat.fp32, .bf16])
    func tinyModelAgainstFloat64(activation: ModelConfig.Activation, kvFormat: KVCacheFormat) {
        let weights = DecoderWeights.random(Self.tinyConfig(activation), seed: 11)
        let tokens = Self.tokens(9, seed: 5)
        var reference = DecoderReference(weights: weights, vlen: 8, kvFormat: kvFormat)
        let got = reference.forward(tokens, allLogits: true)
        let expected = HF64Decoder.run(weights, tokens: tokens, bf16Cache: kvFormat == .bf16)
        #expect(got.count == tokens.count && reference.position == tokens.count)
        for (t, (row, want)) in zip(got, expected).enumerated() {
            let scale = want.map(abs).max()!
            let worst = zip(row, want).map { abs(Double($0) - $1) }.max()!
            #expect(worst <= 0.02 * scale, "token \(t): logits differ by \(worst) (max |logit| \(scale))")
        }
    }

    /// A prefill and the same tokens one by one do the same operations on the same values
    /// (a token's layer reads only earlier cache rows), so the logits agree bit for bit;
    /// and a prefill without `allLogits` returns just the last row of it.
    @Test(arguments: ModelConfig.Activation.allCases, [1, 8, 64])
    func prefillEqualsTokenByToken(activation: ModelConfig.Activation, vlen: Int) {
        let weights = DecoderWeights.random(Self.tinyConfig(activation), seed: 3)
        let tokens = Self.tokens(7, seed: 9)
        var all = DecoderReference(weights: weights, vlen: vlen)
        let prefill = all.forward(tokens, allLogits: true)
        var single = DecoderReference(weights: weights, vlen: vlen)
        var stepped: [[Float]] = []
        for token in tokens { stepped += single.forward([token]) }
        #expect(prefill.map { $0.map(\.bitPattern) } == stepped.map { $0.map(\.bitPattern) })
        #expect(all.caches == single.caches)
        var last = DecoderReference(weights: weights, vlen: vlen)
        let lastOnly = last.forward(Array(tokens[..<4]))
        #expect(lastOnly.count == 1 && lastOnly[0].map(\.bitPattern) == prefill[3].map(\.bitPattern))
        #expect(last.forward(Array(tokens[4...])).last!.map(\.bitPattern) == prefill[6].map(\.bitPattern))
        #expect(last.forward([]).isEmpty && last.position == 7)
    }

    /// Both cache formats run; bf16 stores only bf16 values (low 16 bits zero), fp32 keeps
    /// values bf16 cannot hold; the logits differ but stay close.
    @Test func kvFormatsBothRun() {
        let weights = DecoderWeights.random(Self.tinyConfig(.relu2), seed: 21)
        let tokens = Self.tokens(6, seed: 1)
        var bf16 = DecoderReference(weights: weights, vlen: 16, kvFormat: .bf16)
        var fp32 = DecoderReference(weights: weights, vlen: 16, kvFormat: .fp32)
        let a = bf16.forward(tokens), b = fp32.forward(tokens)
        #expect(bf16.caches.allSatisfy { $0.keys.allSatisfy { $0.bitPattern & 0xFFFF == 0 } && $0.values.allSatisfy { $0.bitPattern & 0xFFFF == 0 } })
        #expect(fp32.caches.contains { $0.keys.contains { $0.bitPattern & 0xFFFF != 0 } })
        #expect(bf16.caches.map(\.count) == [6, 6] && fp32.caches[0].width == 20)
        let scale = b[0].map(abs).max()!
        #expect(a[0] != b[0])
        #expect(zip(a[0], b[0]).allSatisfy { abs($0 - $1) <= 0.05 * scale })
        #expect(a[0].allSatisfy { $0.isFinite })
    }

    /// The KV head of query head h is h / (heads / kv_heads): with 4 heads on 2 KV heads,
    /// heads 0-1 read KV head 0 and heads 2-3 KV head 1. A layer's output therefore does not
    /// change when the k and v rows of the KV heads are swapped together with the q rows of
    /// the head pairs (and the attention sub-norm and o_proj columns with them).
    @Test func gqaMapping() {
        let config = Self.tinyConfig(.relu2)
        let w = DecoderWeights.random(config, seed: 8)
        var layer = w.layers[0]
        let d = config.headDim
        func swapRows(_ t: TernaryWeights, blocks: [Int]) -> TernaryWeights {
            // blocks[i]: the old block of rows (of d rows each) that becomes block i
            var trits: [Int8] = []
            for b in blocks { trits += t.trits[(b * d * t.columns)..<((b + 1) * d * t.columns)] }
            return TernaryWeights(rows: t.rows, columns: t.columns, trits: trits, scale: t.scale)
        }
        func swapColumns(_ t: TernaryWeights, blocks: [Int]) -> TernaryWeights {
            var trits: [Int8] = []
            for r in 0..<t.rows { for b in blocks { trits += t.trits[(r * t.columns + b * d)..<(r * t.columns + (b + 1) * d)] } }
            return TernaryWeights(rows: t.rows, columns: t.columns, trits: trits, scale: t.scale)
        }
        let x = (0..<40).map { BFloat16.float(w.embedding[$0]) }
        let (cos, sin) = Ref.ropeTables(theta: config.ropeTheta, headDim: d, positions: 1)
        var cache = Ref.KVCache(format: .fp32, width: 20)
        let before = Ref.layer(x, position: 0, weights: layer, config: config, cache: &cache, cos: cos, sin: sin, vlen: 8)
        let heads = [2, 3, 0, 1]
        layer.q = swapRows(layer.q, blocks: heads)
        layer.k = swapRows(layer.k, blocks: [1, 0])
        layer.v = swapRows(layer.v, blocks: [1, 0])
        layer.o = swapColumns(layer.o, blocks: heads)
        layer.attentionSubNorm = heads.flatMap { layer.attentionSubNorm[($0 * d)..<(($0 + 1) * d)] }
        var cache2 = Ref.KVCache(format: .fp32, width: 20)
        let after = Ref.layer(x, position: 0, weights: layer, config: config, cache: &cache2, cos: cos, sin: sin, vlen: 8)
        // The sums over heads run in another order, so the two agree closely, not exactly.
        #expect(zip(before, after).allSatisfy { abs($0 - $1) <= 1e-4 * (abs($0) + 1) })
        // Pairing heads 0-1 with KV head 1 instead breaks the agreement.
        var wrong = w.layers[0]
        wrong.k = swapRows(wrong.k, blocks: [1, 0])
        wrong.v = swapRows(wrong.v, blocks: [1, 0])
        var cache3 = Ref.KVCache(format: .fp32, width: 20)
        let broken = Ref.layer(x, position: 0, weights: wrong, config: config, cache: &cache3, cos: cos, sin: sin, vlen: 8)
        #expect(!zip(before, broken).allSatisfy { abs($0 - $1) <= 1e-4 * (abs($0) + 1) })
    }
}

// MARK: - A float64 Hugging Face BitNet decoder

/// The decoder as transformers' models/bitnet/modeling_bitnet.py computes it
/// (`BitNetForCausalLM.forward`: embed, layers, norm, lm_head; `BitNetDecoderLayer`:
/// residual + attention(input_layernorm(x)), residual + mlp(post_attention_layernorm(x));
/// `BitNetAttention`: q/k/v projections, `apply_rotary_pos_emb`, `repeat_kv`, softmax(q k^T *
/// head_dim^-0.5) v, `attn_sub_norm`, o_proj; `BitNetMLP`: down(ffn_sub_norm(act(gate) *
/// up))), every projection an offline `AutoBitLinear` (integrations/bitnet.py: per-token
/// absmax int8 activations, ternary weights, output times `weight_scale`), all in float64
/// with the exact exp, cos and sin; the KV cache rounds to bf16 or not. Written from those sources,
/// independently of DecoderReference.
private enum HF64Decoder {
    /// `value` rounded to bf16's 8 significant bits, ties to even (a bf16 KV cache, as HF's
    /// cache holds the bf16 model's keys and values); exact for normal values, which these are.
    static func bf16(_ value: Double) -> Double {
        guard value != 0, value.isFinite else { return value }
        let unit = Foundation.pow(2, Foundation.floor(Foundation.log2(abs(value))) - 7)  // the bf16 ulp at value
        return (value / unit).rounded(.toNearestOrEven) * unit
    }

    /// The logits of every token; `bf16Cache` rounds the cached keys and values to bf16.
    static func run(_ w: DecoderWeights, tokens: [Int], bf16Cache: Bool) -> [[Double]] {
        let c = w.config
        let d = c.headDim, half = d / 2
        func bf(_ bits: UInt16) -> Double { Double(Float(bitPattern: UInt32(bits) << 16)) }
        func norm(_ x: [Double], _ weight: [UInt16]) -> [Double] {
            let variance = x.reduce(0) { $0 + $1 * $1 } / Double(x.count)
            let r = 1 / (variance + c.rmsNormEps).squareRoot()
            return x.indices.map { bf(weight[$0]) * (x[$0] * r) }
        }
        func linear(_ x: [Double], _ t: TernaryWeights) -> [Double] {
            let s = 127 / max(x.map(abs).max()!, 1e-5)
            let q = x.map { min(max(($0 * s).rounded(.toNearestOrEven), -128), 127) }
            return (0..<t.rows).map { r in
                var acc = 0.0
                for i in 0..<t.columns { acc += q[i] * Double(t.trits[r * t.columns + i]) }
                return acc / s * Double(t.scale)
            }
        }
        func rotate(_ x: [Double], _ p: Int) -> [Double] {
            var y = x
            for h in stride(from: 0, to: x.count, by: d) {
                for i in 0..<half {
                    let angle = Double(p) * Foundation.pow(c.ropeTheta, -Double(2 * i) / Double(d))
                    y[h + i] = x[h + i] * Foundation.cos(angle) - x[h + half + i] * Foundation.sin(angle)
                    y[h + half + i] = x[h + half + i] * Foundation.cos(angle) + x[h + i] * Foundation.sin(angle)
                }
            }
            return y
        }
        var keys = [[[Double]]](repeating: [], count: c.layers)    // [layer][position][kv width]
        var values = [[[Double]]](repeating: [], count: c.layers)
        var logits: [[Double]] = []
        for (p, token) in tokens.enumerated() {
            var x = (0..<c.hiddenSize).map { bf(w.embedding[token * c.hiddenSize + $0]) }
            for (l, layer) in w.layers.enumerated() {
                let h = norm(x, layer.inputNorm)
                let q = rotate(linear(h, layer.q), p)
                let stored = { (x: [Double]) in bf16Cache ? x.map(bf16) : x }
                keys[l].append(stored(rotate(linear(h, layer.k), p)))
                values[l].append(stored(linear(h, layer.v)))
                var attention: [Double] = []
                for head in 0..<c.attentionHeads {
                    let kv = head / (c.attentionHeads / c.keyValueHeads)
                    let scores = (0...p).map { j in
                        (0..<d).reduce(0.0) { $0 + q[head * d + $1] * keys[l][j][kv * d + $1] } / Double(d).squareRoot()
                    }
                    let m = scores.max()!
                    let e = scores.map { Foundation.exp($0 - m) }
                    let z = e.reduce(0, +)
                    for i in 0..<d { attention.append((0...p).reduce(0.0) { $0 + e[$1] / z * values[l][$1][kv * d + i] }) }
                }
                let o = linear(norm(attention, layer.attentionSubNorm), layer.o)
                x = zip(x, o).map(+)
                let h2 = norm(x, layer.postAttentionNorm)
                let g = linear(h2, layer.gate), u = linear(h2, layer.up)
                let f = zip(g, u).map { g, u in
                    (c.activation == .relu2 ? max(g, 0) * max(g, 0) : g / (1 + Foundation.exp(-g))) * u
                }
                x = zip(x, linear(norm(f, layer.ffnSubNorm), layer.down)).map(+)
            }
            let y = norm(x, w.finalNorm)
            let head = w.lmHead ?? w.embedding
            logits.append((0..<c.vocabSize).map { v in
                (0..<c.hiddenSize).reduce(0.0) { $0 + bf(head[v * c.hiddenSize + $1]) * y[$1] }
            })
        }
        return logits
    }
}

// MARK: - Loading a decoder from .npy files

/// `DecoderWeights.load(directory:)`: a random model written with the NPY writer reads back
/// equal; each kind of bad input gives an error that names the tensor.
struct DecoderWeightsLoadTests {
    static func config(tied: Bool) -> ModelConfig {
        ModelConfig(modelType: "bitnet", hiddenSize: 12, intermediateSize: 20, layers: 2, attentionHeads: 3,
                    keyValueHeads: 1, headDim: 4, vocabSize: 11, activation: .relu2, rmsNormEps: 1e-5,
                    ropeTheta: 500_000, maxPositions: 32, tiedEmbeddings: tied)
    }

    /// The config.json text of `config` (HF's keys).
    static func json(_ c: ModelConfig) -> String {
        """
        {"model_type": "\(c.modelType)", "hidden_size": \(c.hiddenSize), "intermediate_size": \(c.intermediateSize),
         "num_hidden_layers": \(c.layers), "num_attention_heads": \(c.attentionHeads), "num_key_value_heads": \(c.keyValueHeads),
         "head_dim": \(c.headDim), "vocab_size": \(c.vocabSize), "hidden_act": "\(c.activation.rawValue)",
         "rms_norm_eps": 1e-05, "rope_theta": 500000.0, "max_position_embeddings": \(c.maxPositions),
         "tie_word_embeddings": \(c.tiedEmbeddings), "torch_dtype": "bfloat16"}
        """
    }

    /// Every tensor of `w` as HF names it, with its array (float tensors as float32 holding
    /// the bf16 values, bit for bit).
    static func tensors(_ w: DecoderWeights, scalarScales: Bool) -> [(String, NPYArray)] {
        let c = w.config
        func floats(_ bits: [UInt16], _ shape: [Int]) -> NPYArray {
            NPYArray.float32(bits.map { Float(bitPattern: UInt32($0) << 16) }, shape: shape)
        }
        var out: [(String, NPYArray)] = [("model.embed_tokens.weight", floats(w.embedding, [c.vocabSize, c.hiddenSize]))]
        for (i, layer) in w.layers.enumerated() {
            let p = "model.layers.\(i)."
            out.append((p + "input_layernorm.weight", floats(layer.inputNorm, [c.hiddenSize])))
            out.append((p + "self_attn.attn_sub_norm.weight", floats(layer.attentionSubNorm, [layer.attentionSubNorm.count])))
            out.append((p + "post_attention_layernorm.weight", floats(layer.postAttentionNorm, [c.hiddenSize])))
            out.append((p + "mlp.ffn_sub_norm.weight", floats(layer.ffnSubNorm, [c.intermediateSize])))
            for (name, t) in layer.projections {
                let module = ["gate_proj", "up_proj", "down_proj"].contains(name) ? "mlp." : "self_attn."
                out.append((p + module + name + ".weight", NPYArray.int8(t.trits, shape: [t.rows, t.columns])))
                out.append((p + module + name + ".weight_scale", NPYArray.float32([t.scale], shape: scalarScales ? [] : [1])))
            }
        }
        out.append(("model.norm.weight", floats(w.finalNorm, [c.hiddenSize])))
        if let head = w.lmHead { out.append(("lm_head.weight", floats(head, [c.vocabSize, c.hiddenSize]))) }
        return out
    }

    /// A fresh directory holding `w` (the caller removes it).
    static func write(_ w: DecoderWeights, scalarScales: Bool = false) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nmp-decoder-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try Data(json(w.config).utf8).write(to: dir.appendingPathComponent("config.json"))
        for (name, array) in tensors(w, scalarScales: scalarScales) {
            try Data(NPY.encode(array)).write(to: dir.appendingPathComponent(name + ".npy"))
        }
        return dir
    }

    @Test(arguments: [false, true], [false, true])
    func roundTrip(tied: Bool, scalarScales: Bool) throws {
        let w = DecoderWeights.random(Self.config(tied: tied), seed: 77)
        let dir = try Self.write(w, scalarScales: scalarScales)
        defer { try? FileManager.default.removeItem(at: dir) }
        let loaded = try DecoderWeights.load(directory: dir.path)
        #expect(loaded == w)
        #expect(loaded.config == w.config)
        // The loaded model runs.
        var reference = DecoderReference(weights: loaded, vlen: 4)
        #expect(reference.forward([1, 2, 3]).first?.count == 11)
    }

    /// A bad directory: (what to do to a good one, the tensor the error must name, words the
    /// message must contain).
    enum Damage: String, CaseIterable {
        case missingTensor, wrongShape, tritTwo, nonBF16Norm, wrongDType, nonFiniteScale, scaleShape, nonFiniteEmbedding, missingConfig, badConfig, oddHeadDim

        var tensor: String {
            switch self {
            case .missingTensor: "model.layers.1.mlp.up_proj.weight"
            case .wrongShape: "model.layers.0.self_attn.k_proj.weight"
            case .tritTwo: "model.layers.1.self_attn.o_proj.weight"
            case .nonBF16Norm: "model.layers.1.post_attention_layernorm.weight"
            case .wrongDType: "model.layers.0.mlp.down_proj.weight"
            case .nonFiniteScale: "model.layers.0.self_attn.v_proj.weight_scale"
            case .scaleShape: "model.layers.1.mlp.gate_proj.weight_scale"
            case .nonFiniteEmbedding: "model.embed_tokens.weight"
            case .missingConfig, .badConfig, .oddHeadDim: ""
            }
        }

        var words: [String] {
            switch self {
            case .missingTensor: ["missing tensor"]
            case .wrongShape: ["shape [4, 13]", "expected [4, 12]"]
            case .tritTwo: ["value 2", "index [5, 7]", "not a trit"]
            case .nonBF16Norm: ["index [3]", "bf16"]
            case .wrongDType: ["dtype float32", "expected int8"]
            case .nonFiniteScale: ["not finite"]
            case .scaleShape: ["shape [2]", "expected [1] or []"]
            case .nonFiniteEmbedding: ["index [2, 5]", "not finite"]
            case .missingConfig: ["missing file"]
            case .badConfig: ["field 'hidden_act'", "gelu"]
            case .oddHeadDim: ["field 'head_dim'", "even", "got 5"]
            }
        }
    }

    @Test(arguments: Damage.allCases)
    func badInputNamesTheTensor(damage: Damage) throws {
        let w = DecoderWeights.random(Self.config(tied: false), seed: 5)
        let dir = try Self.write(w)
        defer { try? FileManager.default.removeItem(at: dir) }
        func put(_ name: String, _ array: NPYArray) throws {
            try Data(NPY.encode(array)).write(to: dir.appendingPathComponent(name + ".npy"))
        }
        switch damage {
        case .missingTensor:
            try FileManager.default.removeItem(at: dir.appendingPathComponent(damage.tensor + ".npy"))
        case .wrongShape:
            try put(damage.tensor, .int8([Int8](repeating: 0, count: 4 * 13), shape: [4, 13]))
        case .tritTwo:
            var trits = w.layers[1].o.trits
            trits[5 * 12 + 7] = 2
            try put(damage.tensor, .int8(trits, shape: [12, 12]))
        case .nonBF16Norm:
            var values = w.layers[1].postAttentionNorm.map { Float(bitPattern: UInt32($0) << 16) }
            values[3] = 1 + 0x1p-20  // needs 20 significand bits; bf16 has 8
            try put(damage.tensor, .float32(values, shape: [12]))
        case .wrongDType:
            try put(damage.tensor, .float32(w.layers[0].down.trits.map(Float.init), shape: [12, 20]))
        case .nonFiniteScale:
            try put(damage.tensor, .float32([.infinity], shape: [1]))
        case .scaleShape:
            try put(damage.tensor, .float32([0.5, 0.5], shape: [2]))
        case .nonFiniteEmbedding:
            var values = w.embedding.map { Float(bitPattern: UInt32($0) << 16) }
            values[2 * 12 + 5] = .nan
            try put(damage.tensor, .float32(values, shape: [11, 12]))
        case .missingConfig:
            try FileManager.default.removeItem(at: dir.appendingPathComponent("config.json"))
        case .badConfig:
            let text = Self.json(w.config).replacingOccurrences(of: "\"relu2\"", with: "\"gelu\"")
            try Data(text.utf8).write(to: dir.appendingPathComponent("config.json"))
        case .oddHeadDim:
            let text = Self.json(w.config).replacingOccurrences(of: "\"head_dim\": 4", with: "\"head_dim\": 5")
            try Data(text.utf8).write(to: dir.appendingPathComponent("config.json"))
        }
        let error = #expect(throws: DecoderLoadError.self) { try DecoderWeights.load(directory: dir.path) }
        guard let error else { return }
        #expect(error.tensor == damage.tensor)
        let file = damage.tensor.isEmpty ? "config.json" : damage.tensor + ".npy"
        #expect(error.file.hasSuffix("/" + file))
        if !damage.tensor.isEmpty { #expect(error.description.contains("tensor '\(damage.tensor)'")) }
        for word in damage.words { #expect(error.message.contains(word), "\(error)") }
    }

    /// prompt_ids.npy and logits.npy: absent gives nil; present ones read back; an id outside
    /// the vocabulary and logits of another width are errors.
    @Test func promptAndLogits() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nmp-golden-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(try DecoderWeights.loadPromptIDs(directory: dir.path, vocabSize: 11) == nil)
        #expect(try DecoderWeights.loadLogits(directory: dir.path, vocabSize: 3) == nil)
        func put(_ name: String, _ array: NPYArray) throws {
            try Data(NPY.encode(array)).write(to: dir.appendingPathComponent(name))
        }
        try put("prompt_ids.npy", .int32([3, 0, 10], shape: [1, 3]))
        try put("logits.npy", .float32([1, 2, 3, -4, 5.5, 6], shape: [2, 3]))
        #expect(try DecoderWeights.loadPromptIDs(directory: dir.path, vocabSize: 11) == [3, 0, 10])
        #expect(try DecoderWeights.loadLogits(directory: dir.path, vocabSize: 3) == [[1, 2, 3], [-4, 5.5, 6]])
        let id = #expect(throws: DecoderLoadError.self) { try DecoderWeights.loadPromptIDs(directory: dir.path, vocabSize: 10) }
        #expect(id?.message.contains("token id 10 at index 2") == true)
        let width = #expect(throws: DecoderLoadError.self) { try DecoderWeights.loadLogits(directory: dir.path, vocabSize: 4) }
        #expect(width?.tensor == "logits")
        try put("prompt_ids.npy", .int8([1, 2], shape: [2]))
        let dtype = #expect(throws: DecoderLoadError.self) { try DecoderWeights.loadPromptIDs(directory: dir.path, vocabSize: 11) }
        #expect(dtype?.message.contains("expected int32") == true)
    }
}
