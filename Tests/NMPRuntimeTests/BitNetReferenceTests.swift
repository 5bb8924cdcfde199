import NMPTestSupport
import Testing
@testable import NMPRuntime

/// The BitNet b1.58 reference numerics: hand-computed cases (the arithmetic is in the
/// comments), exact ties, the clamps, the order of float operations that HF's code (and
/// torch's `number / tensor`) implies, and randomized checks of the integer product and of
/// the composition of the steps.
struct BitNetReferenceTests {
    typealias Ref = BitNetReference

    // MARK: Weights

    /// gamma = (0.25 + 0.25 + 0.75 + 0.75) / 4 = 0.5, sw = 1 / 0.5 = 2 (both exact).
    /// W * sw = [0.5, -0.5, 1.5, -1.5]: ties. Half to even gives [0, -0, 2, -2], clamped to
    /// [0, 0, 1, -1]; half away from zero would give [1, -1, 1, -1].
    @Test func weightTiesRoundHalfToEven() {
        let w = Ref.quantizeWeights([0.25, -0.25, 0.75, -0.75], rows: 1, columns: 4)
        #expect(w.trits == [0, 0, 1, -1])
        #expect(w.scale == 0.5)  // 1 / sw = 1 / 2
        #expect(w.rows == 1 && w.columns == 4)
    }

    /// |W| sums to 3 + 2 + 0.5 + 0.5 + 1 + 0.25 + 0.25 + 0.5 = 8 over 8 weights: gamma = 1,
    /// sw = 1, W * sw = W. Rounded half to even: [3, -2, 0, -0, 1, -0, 0, 0]; clamped to
    /// [-1, 1]: [1, -1, 0, 0, 1, 0, 0, 0]. As a 2 x 4 matrix, row-major.
    @Test func weightClampAndShape() {
        let w = Ref.quantizeWeights([3, -2, 0.5, -0.5, 1, -0.25, 0.25, 0.5], rows: 2, columns: 4)
        #expect(w.trits == [1, -1, 0, 0, 1, 0, 0, 0])
        #expect(w.scale == 1)
        #expect(w.rows == 2 && w.columns == 4)
    }

    /// The code's order, W * fl(1 / gamma), against the arithmetically equal W / gamma.
    /// W = [0.0035000003, -0.0105] (exact bit patterns below): the Double mean rounds to
    /// Float(0.007) = gamma. sw = fl(1 / gamma) = 142.85713, and
    /// 0.0035000003 * 142.85713 rounds to exactly 0.5, a tie, so the trit is 0; W / gamma
    /// would give 0.50000006 and round to 1. 0.0105 * sw = 1.4999999 -> -1.
    /// The scale is 1 / sw = 0.0070000007: one ulp above gamma.
    @Test func weightsFollowTheCodeNotTheDivision() throws {
        let small = Float(bitPattern: 996_499_523)  // 0.0035000003
        let large = Float(bitPattern: 1_009_518_641)  // 0.0105
        let gamma = Ref.absMean([small, -large])
        try #require(gamma == Float(0.007))
        let sw = Ref.weightScale(absMean: gamma)
        #expect(sw == 1 / Float(0.007))
        try #require(small * sw == 0.5)
        try #require((small / gamma).rounded(.toNearestOrEven) == 1)  // the other order
        let w = Ref.quantizeWeights([small, -large], rows: 1, columns: 2)
        #expect(w.trits == [0, -1])
        #expect(w.scale == 1 / sw)
        #expect(w.scale != gamma)
    }

    /// The paper's RoundClip(W / (gamma + eps)) against the code's W * (1 / max(gamma, eps)):
    /// W = [0.5 + 2^-20, 1.5 - 2^-20] has gamma = 1 exactly, so the code gives
    /// round(0.50000095) = 1 and round(1.4999990) = 1; the paper's formula gives
    /// round(0.50000095 / 1.00001) = round(0.49999595) = 0 for the first.
    @Test func weightsFollowTheCodeNotThePaper() throws {
        let a: Float = 0.5 + 0x1p-20
        let b: Float = 1.5 - 0x1p-20
        try #require(Ref.absMean([a, b]) == 1)
        try #require((a / (1 + Ref.epsilon)).rounded(.toNearestOrEven) == 0)
        #expect(Ref.quantizeWeights([a, b], rows: 1, columns: 2).trits == [1, 1])
    }

    /// gamma below 1e-5 clamps: W = [2^-20, -2^-20, 0, 2^-18]:
    /// gamma = (2^-20 + 2^-20 + 0 + 4 * 2^-20) / 4 = 1.5 * 2^-20 = 1.43e-6 < 1e-5, so
    /// sw = fl(1 / fl(1e-5)) = 100000 (fl(1e-5) = 9.99999974737875e-06; its reciprocal
    /// 100000.0025 rounds to 100000). W * sw = [0.095, -0.095, 0, 0.38] -> all 0.
    @Test func tinyWeightsClampGamma() {
        let w = Ref.quantizeWeights([0x1p-20, -0x1p-20, 0, 0x1p-18], rows: 2, columns: 2)
        #expect(Ref.absMean([0x1p-20, -0x1p-20, 0, 0x1p-18]) == 0x1.8p-20)
        #expect(Ref.weightScale(absMean: 0x1.8p-20) == 100_000)
        #expect(w.trits == [0, 0, 0, 0])
        #expect(w.scale == 1 / Float(100_000))
    }

    /// The mean of ten Float(0.1) in float32, summed left to right, is 0.10000001 (the sum
    /// rounds to 1.0000001); summed in Double it is the correctly rounded Float(0.1).
    @Test func absMeanIsTheCorrectlyRoundedMean() {
        let tenths = [Float](repeating: 0.1, count: 10)
        #expect(Ref.absMean(tenths) == Float(0.1))
        #expect(tenths.reduce(0, +) / 10 != Float(0.1))  // what naive float32 would give
        #expect(Ref.absMean([1, -2, 3, -4]) == 2.5)
    }

    // MARK: Activations

    /// max|x| = 127: s = fl(1/127) * 127 rounds to exactly 1, so x * s = x.
    /// Ties go to even: 0.5 -> 0, -0.5 -> -0, 1.5 -> 2, -1.5 -> -2, 2.5 -> 2, -2.5 -> -2,
    /// 126.5 -> 126, -126.5 -> -126; the extremes are exactly +-127.
    @Test func activationTiesWithUnitScale() throws {
        try #require(Ref.activationScale(absMax: 127) == 1)
        let x: [Float] = [127, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 126.5, -126.5, -127]
        let (q, scales) = Ref.quantizeActivations(x, tokens: 1, features: x.count)
        #expect(q == [127, 0, 0, 2, -2, 2, -2, 126, -126, -127])
        #expect(scales == [1])
    }

    /// max|x| = 254: s = fl(1/254) * 127 = 0.5 exactly, so odd integers land on ties:
    /// x * s = [127, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, -127, 126.5, 0]
    ///      -> [127, 0, 0, 2, -2, 2, -2, -127, 126, 0].
    /// Two tokens, each with its own scale (the second: max 2, s = 63.5; 1 * 63.5 = 63.5 -> 64,
    /// -2 * 63.5 = -127, 0.5 * 63.5 = 31.75 -> 32).
    @Test func activationTiesPerToken() {
        let x: [Float] = [254, 1, -1, 3, -3, 5, -5, -254, 253, 0,
                          1, -2, 0.5, 0, 0, 0, 0, 0, 0, 0]
        let (q, scales) = Ref.quantizeActivations(x, tokens: 2, features: 10)
        #expect(scales == [0.5, 63.5])
        #expect(q == [127, 0, 0, 2, -2, 2, -2, -127, 126, 0,
                      64, -127, 32, 0, 0, 0, 0, 0, 0, 0])
    }

    /// torch computes `127 / t` as `t.reciprocal() * 127` (torch/_tensor.py `__rdiv__`).
    /// For max|x| = 3: fl(1/3) * 127 = 42.333336, while fl(127/3) = 42.333332. With
    /// x = 0.03543307 (bits below), x * 42.333336 is exactly 1.5, a tie, -> 2; the single
    /// division would give 1.4999999 -> 1.
    @Test func activationScaleIsReciprocalTimes127() throws {
        let s = Ref.activationScale(absMax: 3)
        #expect(s == Float(1) / 3 * 127)
        #expect(s != Float(127) / 3)
        let x = Float(bitPattern: 1_024_533_060)  // 0.03543307
        try #require(x * s == 1.5)
        try #require((x * (Float(127) / 3)).rounded(.toNearestOrEven) == 1)
        let (q, scales) = Ref.quantizeActivations([3, x], tokens: 1, features: 2)
        #expect(q == [127, 2])
        #expect(scales == [s])
    }

    /// All zeros: max|x| = 0 clamps to fl(1e-5), s = fl(1/fl(1e-5)) * 127 = 100000 * 127 =
    /// 12,700,000 (exact), every code 0, and the layer outputs 0.
    /// Values below 1e-5: [2^-18, -2^-18, 0] also use s = 12,700,000;
    /// 2^-18 * 12,700,000 = 48.4466552734375 (exact) -> 48.
    @Test func zeroAndTinyInputs() {
        let (q, scales) = Ref.quantizeActivations([0, 0, 0, 0, 0, 0], tokens: 2, features: 3)
        #expect(q == [0, 0, 0, 0, 0, 0])
        #expect(scales == [12_700_000, 12_700_000])
        let w = TernaryWeights(rows: 2, columns: 3, trits: [1, -1, 0, 1, 1, 1], scale: 0.75)
        #expect(Ref.bitLinear([0, 0, 0, 0, 0, 0], tokens: 2, weights: w) == [0, 0, 0, 0])

        let tiny = Ref.quantizeActivations([0x1p-18, -0x1p-18, 0], tokens: 1, features: 3)
        #expect(tiny.q == [48, -48, 0])
        #expect(tiny.scales == [12_700_000])
    }

    /// The extreme of every token maps to exactly +-127, and -128 (the code's lower clamp)
    /// is never reached by finite inputs.
    @Test func activationClampRange() {
        var rng = SplitMix64(seed: 0xB17_4E7)
        for _ in 0..<200 {
            let tokens = Int(rng.next() % 4) + 1
            let features = Int(rng.next() % 64) + 1
            let magnitude = Float(1 << Int(rng.next() % 20)) * 0x1p-10
            let x = (0..<(tokens * features)).map { _ in Float.random(in: -magnitude...magnitude, using: &rng) }
            let (q, _) = Ref.quantizeActivations(x, tokens: tokens, features: features)
            for t in 0..<tokens {
                let row = t * features..<(t + 1) * features
                let extreme = row.max { abs(x[$0]) < abs(x[$1]) }!
                if x[extreme] != 0 {
                    #expect(q[extreme] == (x[extreme] > 0 ? 127 : -127))
                }
                #expect(q[row].allSatisfy { $0 >= -127 })
            }
        }
    }

    // MARK: The layer

    /// One token, 1-D. x = [1, -2, 4]: max 4, s = fl(1/4) * 127 = 31.75 (exact);
    /// x * s = [31.75, -63.5, 127] -> xq = [32, -64, 127] (-63.5 is a tie; -64 is even).
    /// Trits [[1, 0, -1], [-1, 1, 1]]: acc = [32 - 127, -32 - 64 + 127] = [-95, 31].
    /// y = acc / 31.75 * 0.5 = [-1.496063, 0.48818898].
    @Test func oneTokenByHand() {
        let w = TernaryWeights(rows: 2, columns: 3, trits: [1, 0, -1, -1, 1, 1], scale: 0.5)
        let (q, scales) = Ref.quantizeActivations([1, -2, 4], tokens: 1, features: 3)
        #expect(q == [32, -64, 127])
        #expect(scales == [31.75])
        let acc = Ref.accumulate(q, tokens: 1, w)
        #expect(acc == [-95, 31])
        let y = Ref.bitLinear([1, -2, 4], tokens: 1, weights: w)
        #expect(y == [(Float(-95) / 31.75) * 0.5, (Float(31) / 31.75) * 0.5])
        #expect(abs(y[0] - (-1.496063)) < 1e-6 && abs(y[1] - 0.48818898) < 1e-6)
    }

    /// dequantize divides by the token's scale, then multiplies by the weight scale:
    /// token 0 (s = 0.5): 10 / 0.5 * 0.25 = 5, -3 / 0.5 * 0.25 = -1.5;
    /// token 1 (s = 4): 0 -> 0, 127 / 4 * 0.25 = 7.9375. All exact.
    @Test func dequantizeByHand() {
        let y = Ref.dequantize([10, -3, 0, 127], tokens: 2, rows: 2, activationScales: [0.5, 4], weightScale: 0.25)
        #expect(y == [5, -1.5, 0, 7.9375])
    }

    /// The order of the epilogue: (acc / s) * ws, two roundings in that order. Over a sweep
    /// of sums and scales the result is that expression, and for some of them it differs
    /// from the reassociated acc * (ws / s): the order is observable, so it is pinned.
    @Test func dequantizeOrderOfOperations() {
        var differs = 0
        for a in Int32(1)...200 {
            for s in [Float(3), 7, 10.5, 42.333336, 12_700_000] {
                let ws: Float = 0.007
                let y = Ref.dequantize([a], tokens: 1, rows: 1, activationScales: [s], weightScale: ws)[0]
                #expect(y == (Float(a) / s) * ws)
                if y != Float(a) * (ws / s) { differs += 1 }
            }
        }
        #expect(differs > 0)
    }

    /// `accumulate` against a naive triple loop in Int64, on random shapes, full-range codes
    /// (-128...127) and random trits; and one long row at the extreme, 128 * 4096.
    @Test func accumulateMatchesNaiveLoop() {
        var rng = SplitMix64(seed: 0x5EED_0ACC)
        for _ in 0..<300 {
            let tokens = Int(rng.next() % 5) + 1
            let rows = Int(rng.next() % 9) + 1
            let columns = Int(rng.next() % 40) + 1
            let xq = (0..<(tokens * columns)).map { _ in Int8(truncatingIfNeeded: rng.next()) }
            let trits = (0..<(rows * columns)).map { _ in Int8(Int(rng.next() % 3) - 1) }
            let w = TernaryWeights(rows: rows, columns: columns, trits: trits, scale: 1)
            var expected: [Int32] = []
            for t in 0..<tokens {
                for r in 0..<rows {
                    var sum: Int64 = 0
                    for c in 0..<columns { sum += Int64(xq[t * columns + c]) * Int64(trits[r * columns + c]) }
                    expected.append(Int32(sum))
                }
            }
            #expect(Ref.accumulate(xq, tokens: tokens, w) == expected)
        }
        let long = TernaryWeights(rows: 2, columns: 4096, trits: [Int8](repeating: -1, count: 4096) + [Int8](repeating: 1, count: 4096), scale: 1)
        #expect(Ref.accumulate([Int8](repeating: -128, count: 4096), tokens: 1, long) == [524_288, -524_288])
    }

    /// `bitLinear` is exactly the composition of the steps, for random weights quantized by
    /// `quantizeWeights` and random activations; the trits are in -1...1 and the scale is
    /// 1 / sw.
    @Test func bitLinearIsTheComposition() {
        var rng = SplitMix64(seed: 0xB1_7117)
        for _ in 0..<100 {
            let tokens = Int(rng.next() % 4) + 1
            let rows = Int(rng.next() % 12) + 1
            let columns = Int(rng.next() % 48) + 1
            let latent = (0..<(rows * columns)).map { _ in Float.random(in: -0.1...0.1, using: &rng) }
            let w = Ref.quantizeWeights(latent, rows: rows, columns: columns)
            #expect(w.trits.allSatisfy { $0 >= -1 && $0 <= 1 })
            let sw = Ref.weightScale(absMean: Ref.absMean(latent))
            #expect(w.scale == 1 / sw)
            #expect(w.trits == latent.map { Int8(min(max(($0 * sw).rounded(.toNearestOrEven), -1), 1)) })

            let x = (0..<(tokens * columns)).map { _ in Float.random(in: -8...8, using: &rng) }
            let (q, scales) = Ref.quantizeActivations(x, tokens: tokens, features: columns)
            let acc = Ref.accumulate(q, tokens: tokens, w)
            let composed = Ref.dequantize(acc, tokens: tokens, rows: rows, activationScales: scales, weightScale: w.scale)
            #expect(Ref.bitLinear(x, tokens: tokens, weights: w) == composed)
        }
    }
}
