import Foundation

// The float32 building blocks of ISA.md chapter 11 (11.1 and 11.4), in plain Swift: each
// function performs the machine's operations one by one, in the machine's order, so that
// the decoder reference (DecoderReference.swift) and the compiled decoder agree bit for
// bit. They are written from the chapter's text and the float instructions' definitions,
// not from the simulator's code.
//
// Every operation is one IEEE-754 binary32 operation rounded to nearest, ties to even
// (Swift's `Float` arithmetic); every NaN result is replaced by the canonical NaN
// 0x7FC00000 (`canonical`, ISA.md 7.11), because IEEE 754 leaves a NaN's sign and payload
// to the host and the reference must not differ from host to host.

extension DecoderReference {
    /// The machine's one NaN (0x7FC00000, ISA.md 7.11).
    public static let canonicalNaN = Float(bitPattern: 0x7FC0_0000)

    /// `value`, or the canonical NaN when it is a NaN.
    @inline(__always)
    static func canonical(_ value: Float) -> Float { value.isNaN ? canonicalNaN : value }

    /// `fma(a, b, c)` (`fvmac`, `fmacs`): `a * b + c` with one rounding.
    @inline(__always)
    public static func fma(_ a: Float, _ b: Float, _ c: Float) -> Float {
        canonical(c.addingProduct(a, b))
    }

    /// `fmax(a, b)` (ISA.md 7.11): the canonical NaN if either is a NaN, else the larger,
    /// with -0.0 below +0.0 (IEEE 754-2019 `maximum`; Swift's `max` does not order zeros).
    @inline(__always)
    public static func maximum(_ a: Float, _ b: Float) -> Float {
        if a.isNaN || b.isNaN { return canonicalNaN }
        if a == b { return a.sign == .plus ? a : b }  // equal only as +-0 or as the same value
        return a > b ? a : b
    }

    /// `tree(s[0..<n])` (`fsum`, 11.1): pairwise sums, level by level, of adjacent
    /// elements; an odd last element moves up a level unchanged; the result is `+0.0 + s[0]`
    /// (so -0.0 sums to +0.0), and an empty list sums to +0.0.
    public static func tree(_ values: [Float]) -> Float {
        var s = values
        var m = s.count
        while m > 1 {
            for i in 0..<(m / 2) { s[i] = canonical(s[2 * i] + s[2 * i + 1]) }
            if m % 2 == 1 { s[m / 2] = s[m - 1] }
            m = (m + 1) / 2
        }
        return canonical(0 + (s.first ?? 0))
    }

    /// `dot(a, b, n)` (11.1: `azero`, `fvmac` per chunk of `vlen`, `fsum`): lane `l` of
    /// `L = min(n, vlen)` lanes accumulates `a[c * vlen + l] * b[c * vlen + l]` for chunks
    /// `c = 0, 1, ...` with one fma each, starting from +0.0; the result is `tree` of the
    /// lanes.
    /// - Precondition: `vlen > 0`, `0 <= count <= min(a.count, b.count)`.
    public static func dot(_ a: [Float], _ b: [Float], count: Int, vlen: Int) -> Float {
        precondition(count >= 0 && count <= a.count && count <= b.count, "DecoderReference.dot: count \(count) for \(a.count) and \(b.count) elements")
        return a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in dot(a, 0, b, 0, count: count, vlen: vlen) }
        }
    }

    /// `dot` of `a[aStart ..< aStart + count]` and `b[bStart ..< bStart + count]`.
    static func dot(_ a: UnsafeBufferPointer<Float>, _ aStart: Int, _ b: UnsafeBufferPointer<Float>, _ bStart: Int,
                    count: Int, vlen: Int) -> Float {
        precondition(vlen > 0, "DecoderReference: VLEN must be positive (got \(vlen))")
        precondition(aStart >= 0 && bStart >= 0 && aStart + count <= a.count && bStart + count <= b.count,
                     "DecoderReference.dot: range out of bounds")
        let lanes = Swift.min(count, vlen)
        var p = [Float](repeating: 0, count: lanes)
        var chunk = 0
        while chunk < count {
            for l in 0..<Swift.min(vlen, count - chunk) {
                p[l] = fma(a[aStart + chunk + l], b[bStart + chunk + l], p[l])
            }
            chunk += vlen
        }
        return tree(p)
    }

    /// `sum(e, n)` (11.1: `azero`, `fvadd` per chunk, `fsum`): as `dot`, each lane adding
    /// its elements in chunk order, then `tree` of the lanes.
    /// - Precondition: `vlen > 0`, `0 <= count <= e.count`.
    public static func sum(_ e: [Float], count: Int, vlen: Int) -> Float {
        precondition(vlen > 0, "DecoderReference: VLEN must be positive (got \(vlen))")
        precondition(count >= 0 && count <= e.count, "DecoderReference.sum: count \(count) for \(e.count) elements")
        var p = [Float](repeating: 0, count: Swift.min(count, vlen))
        var chunk = 0
        while chunk < count {
            for l in 0..<Swift.min(vlen, count - chunk) { p[l] = canonical(p[l] + e[chunk + l]) }
            chunk += vlen
        }
        return tree(p)
    }

    /// `max(e, n)` (11.1): the largest of the first `count` elements by `maximum`, starting
    /// from -infinity (the machine's per-chunk `frmax` and cross-chunk `fmax` give the same
    /// value in any order: `maximum` is associative and commutative, NaN included).
    /// - Precondition: `0 <= count <= e.count`.
    public static func max(_ e: [Float], count: Int) -> Float {
        precondition(count >= 0 && count <= e.count, "DecoderReference.max: count \(count) for \(e.count) elements")
        var m = -Float.infinity
        for i in 0..<count { m = maximum(m, e[i]) }
        return m
    }

    // MARK: - exp

    /// Above this, `exp` overflows: 0x42B17218 (88.7228394), just above ln(FLT_MAX).
    static let expOverflow = Float(bitPattern: 0x42B1_7218)
    /// Below minus this, `exp` underflows to +0.0: 0x42CFF1B5 (103.972076), about
    /// ln(2^-150), half the smallest subnormal.
    static let expUnderflow = Float(bitPattern: 0x42CF_F1B5)
    /// log2(e) rounded to float32 (0x3FB8AA3B).
    static let log2e = Float(bitPattern: 0x3FB8_AA3B)
    /// ln 2 in two parts (Cody and Waite): the high part 0x3F317200 has 16 significant bits,
    /// so `n * ln2Hi` is exact for |n| < 2^8; the low part 0x35BFBE8E carries the rest.
    static let ln2Hi = Float(bitPattern: 0x3F31_7200)
    static let ln2Lo = Float(bitPattern: 0x35BF_BE8E)
    /// The Taylor coefficients 1/k! for k = 0 ... 7, each rounded to float32.
    static let expCoefficients: [Float] = [1, 1, 0.5, Float(1.0 / 6), Float(1.0 / 24), Float(1.0 / 120),
                                           Float(1.0 / 720), Float(1.0 / 5040)]

    /// `exp(x)` (`fexp`): the machine's algorithm, not the correctly rounded exponential.
    ///
    /// NaN gives the canonical NaN; `x > 0x42B17218` gives +infinity; `x < -0x42CFF1B5`
    /// gives +0.0. Otherwise `n = rne(x * log2e)`, `r = fma(-n, ln2Hi, x)`,
    /// `r = fma(-n, ln2Lo, r)`, the degree-7 Taylor polynomial `p` of e^r by Horner's rule
    /// with fmas (`p = C7`, then `p = fma(p, r, Ck)` for k = 6 ... 0), and the result
    /// `p * 2^n` as Swift's `Float(sign:exponent:significand:)` scales it (the contract's
    /// exact expression, so that subnormal results round the same way on both sides).
    public static func exp(_ x: Float) -> Float {
        if x.isNaN { return canonicalNaN }
        if x > expOverflow { return .infinity }
        if x < -expUnderflow { return 0 }
        let n = (x * log2e).rounded(.toNearestOrEven)
        var r = x.addingProduct(-n, ln2Hi)
        r = r.addingProduct(-n, ln2Lo)
        let c = expCoefficients
        var p = c[7]
        for k in stride(from: 6, through: 0, by: -1) { p = c[k].addingProduct(p, r) }
        // In range, n is an integer in -150 ... 128 and p is finite and positive: no NaN.
        // p * 2^n rounded once to float32 (ISA.md 7.12): exact in Double (24 significant bits,
        // an exponent far inside Double's range), then one rounding, also for subnormal results.
        return Float(Double(p) * Foundation.pow(2.0, Double(n)))
    }

    // MARK: - RMSNorm

    /// `rmsnorm(x, w, n)` (11.1): `ss = dot(x, x, n)`, `mean = ss / Float(n)`,
    /// `r = 1 / sqrt(mean + eps)` (add, correctly rounded square root, then a division of
    /// 1.0: not a fused rsqrt), and `y[i] = (x[i] * r) * w[i]` with `w` the bf16 weight
    /// converted exactly. HF `BitNetRMSNorm.forward` / `LlamaRMSNorm.forward` in the
    /// machine's summation order.
    /// - Parameters:
    ///   - weight: bf16 bit patterns, one per element of `x`.
    ///   - eps: `rms_norm_eps` rounded to float32.
    /// - Precondition: `x` non-empty, `weight.count == x.count`, `vlen > 0`.
    public static func rmsNorm(_ x: [Float], weight: [UInt16], eps: Float, vlen: Int) -> [Float] {
        let n = x.count
        precondition(n > 0 && weight.count == n, "DecoderReference.rmsNorm: \(n) values and \(weight.count) weights")
        let ss = dot(x, x, count: n, vlen: vlen)
        let mean = canonical(ss / Float(n))
        let root = canonical(canonical(mean + eps).squareRoot())
        let r = canonical(1 / root)
        var y = [Float](repeating: 0, count: n)
        for i in 0..<n { y[i] = canonical(canonical(x[i] * r) * BFloat16.float(weight[i])) }
        return y
    }

    // MARK: - RoPE

    /// The RoPE tables of 11.4 for positions `0 ..< positions`: row-major
    /// `[position][i]`, `i < headDim / 2`, computed in float32 like HF's default rope
    /// (`modeling_rope_utils.py` `_compute_default_rope_parameters`, then
    /// `LlamaRotaryEmbedding.forward`): `e_i = Float(2i) / Float(d)`,
    /// `inv_freq[i] = 1 / Float(pow(theta, Double(e_i)))`, `angle = Float(p) * inv_freq[i]`,
    /// `cos = Float(cos(Double(angle)))`, `sin` likewise. HF repeats the half row for the
    /// second half of the head (`emb = cat(freqs, freqs)`); the tables keep one half.
    /// - Precondition: `headDim` even and positive, `positions >= 0`, `theta > 0`.
    public static func ropeTables(theta: Double, headDim: Int, positions: Int) -> (cos: [Float], sin: [Float]) {
        precondition(headDim > 0 && headDim % 2 == 0, "DecoderReference.ropeTables: head_dim must be even and positive (got \(headDim))")
        precondition(positions >= 0, "DecoderReference.ropeTables: \(positions) positions")
        let inverse = ropeInverseFrequencies(theta: theta, headDim: headDim)
        var cos: [Float] = [], sin: [Float] = []
        cos.reserveCapacity(positions * inverse.count)
        sin.reserveCapacity(positions * inverse.count)
        for p in 0..<positions { appendRopeRow(position: p, inverseFrequencies: inverse, cos: &cos, sin: &sin) }
        return (cos, sin)
    }

    /// `inv_freq[i] = 1 / Float(pow(theta, Double(Float(2i) / Float(d))))`, i < d / 2.
    static func ropeInverseFrequencies(theta: Double, headDim: Int) -> [Float] {
        (0..<(headDim / 2)).map { i in
            let exponent = Float(2 * i) / Float(headDim)
            return canonical(1 / Float(Foundation.pow(theta, Double(exponent))))
        }
    }

    /// Appends the table row of `position` (rows depend only on their own position, so a
    /// table can grow a row at a time).
    static func appendRopeRow(position: Int, inverseFrequencies: [Float], cos: inout [Float], sin: inout [Float]) {
        let p = Float(position)  // exact below 2^24
        for f in inverseFrequencies {
            let angle = canonical(p * f)
            cos.append(Float(Foundation.cos(Double(angle))))
            sin.append(Float(Foundation.sin(Double(angle))))
        }
    }

    /// RoPE on every head of `x` (11.2 step 3) at `position`, with `half = headDim / 2`:
    /// `y[i] = x[i] * cos[p][i] - x[i + half] * sin[p][i]` and
    /// `y[i + half] = x[i + half] * cos[p][i] + x[i] * sin[p][i]`, each product rounded
    /// (two `fvmul`, then `fvsub` or `fvadd`): HF's `q * cos + rotate_half(q) * sin` with
    /// `rotate_half(x) = cat(-x2, x1)`.
    /// - Parameters:
    ///   - x: one or more heads of `headDim` values, concatenated.
    ///   - cos: a table from `ropeTables` (row-major `[position][headDim / 2]`).
    /// - Precondition: `headDim` even and positive, `x.count` a multiple of it, the tables
    ///   hold row `position`.
    public static func rope(_ x: [Float], position: Int, cos: [Float], sin: [Float], headDim: Int) -> [Float] {
        precondition(headDim > 0 && headDim % 2 == 0, "DecoderReference.rope: head_dim must be even and positive (got \(headDim))")
        precondition(x.count % headDim == 0, "DecoderReference.rope: \(x.count) values are not whole heads of \(headDim)")
        let half = headDim / 2
        precondition(position >= 0 && (position + 1) * half <= Swift.min(cos.count, sin.count),
                     "DecoderReference.rope: the tables have no row for position \(position)")
        let row = position * half
        var y = x
        for head in stride(from: 0, to: x.count, by: headDim) {
            for i in 0..<half {
                let c = cos[row + i], s = sin[row + i]
                let x1 = x[head + i], x2 = x[head + half + i]
                y[head + i] = canonical(canonical(x1 * c) - canonical(x2 * s))
                y[head + half + i] = canonical(canonical(x2 * c) + canonical(x1 * s))
            }
        }
        return y
    }
}
