// The float32 arithmetic of ISA.md 7.11 and 7.12 shared by the float handlers: the
// canonical NaN, the maximum with -0.0 below +0.0, `fq`'s rounding, the bfloat16 and
// binary16 conversions of the half-width loads and stores, `fexp` and `fsum`'s tree.

/// The float32 unit's one NaN (ISA.md 7.11): every NaN result is this pattern.
let canonicalNaN: UInt32 = 0x7FC0_0000

/// The float32 value of a bit pattern (ISA.md's f32).
@inline(__always)
func f32(_ bits: UInt32) -> Float { Float(bitPattern: bits) }

/// The float32 value of an accumulator lane's pattern.
@inline(__always)
func f32(_ lane: Int32) -> Float { Float(bitPattern: UInt32(bitPattern: lane)) }

/// The bits of a float32 result, with any NaN replaced by the canonical NaN (the hardware's
/// NaN payloads differ between hosts; the ISA fixes one).
@inline(__always)
func floatBits(_ value: Float) -> UInt32 {
    value.isNaN ? canonicalNaN : value.bitPattern
}

/// `floatBits` as an accumulator lane.
@inline(__always)
func lane(_ value: Float) -> Int32 { Int32(bitPattern: floatBits(value)) }

/// `fmax` (ISA.md 7.11): the larger of two float32 values, -0.0 below +0.0, canonical NaN
/// if either is NaN.
@inline(__always)
func floatMax(_ p: Float, _ q: Float) -> UInt32 {
    if p.isNaN || q.isNaN { return canonicalNaN }
    if p > q { return p.bitPattern }
    if q > p { return q.bitPattern }
    return p.sign == .plus ? p.bitPattern : q.bitPattern   // equal: +0.0 wins over -0.0
}

/// `fq`'s rounding (ISA.md 7.11): a float32 product rounded half to even and clamped to
/// int8; NaN gives 0. The clamp compares before converting, so nothing can trap.
@inline(__always)
func quantizeFloat(_ p: Float) -> Int8 {
    if p.isNaN { return 0 }
    let r = p.rounded(.toNearestOrEven)
    if r <= -128 { return -128 }
    if r >= 127 { return 127 }
    return Int8(r)
}

// MARK: bfloat16 and IEEE binary16 (ISA.md 7.6: ldbf, stbf, ldhf, sthf)

/// A bfloat16 pattern as float32 (exact: bf16 is the upper half of a float32); NaN canonical.
@inline(__always)
func floatFromBFloat16(_ half: UInt16) -> UInt32 {
    floatBits(f32(UInt32(half) << 16))
}

/// A float32 rounded to bfloat16, to nearest, ties to even; too large rounds to +-inf as
/// IEEE does; every NaN gives the canonical bfloat16 NaN 0x7FC0. Adding 0x7FFF plus the
/// lowest kept bit carries into the kept half exactly when the dropped half is above a
/// tie, or a tie with an odd kept half.
@inline(__always)
func bfloat16(_ bits: UInt32) -> UInt16 {
    if bits & 0x7FFF_FFFF > 0x7F80_0000 { return 0x7FC0 }
    return UInt16(truncatingIfNeeded: (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) >> 16)
}

/// An IEEE binary16 pattern as float32 (exact); NaN canonical. Written on the bits: the
/// toolchain's `Float(Float16)` is a library call on hosts without F16C, and an fp16 LM
/// head converts hundreds of millions of values per token.
@inline(__always)
func floatFromFloat16(_ half: UInt16) -> UInt32 {
    let sign = UInt32(half & 0x8000) << 16
    let exponent = UInt32(half >> 10) & 0x1F
    let fraction = UInt32(half & 0x3FF)
    if exponent == 0x1F { return fraction == 0 ? sign | 0x7F80_0000 : canonicalNaN }
    // A subnormal is fraction * 2^-24, exact in float32.
    if exponent == 0 { return sign | (Float(fraction) * 0x1p-24).bitPattern }
    return sign | ((exponent + 112) << 23) | (fraction << 13)      // rebias 15 -> 127
}

/// A float32 rounded to IEEE binary16, to nearest, ties to even (subnormals kept, too large
/// gives +-inf); every NaN gives the canonical binary16 NaN 0x7E00.
@inline(__always)
func float16(_ bits: UInt32) -> UInt16 {
    let value = f32(bits)
    return value.isNaN ? 0x7E00 : Float16(value).bitPattern
}

// MARK: fexp (ISA.md 7.12)

/// The constants of `fexp`'s algorithm (ISA.md 7.12): log2(e); ln(2) split Cody-Waite style
/// into a high part whose low 9 significand bits are zero and a low part, so that
/// x - n ln(2) loses little to cancellation; the Taylor coefficients 1/k! rounded to
/// float32; and the bounds beyond which the result is +inf or +0.0.
enum ExpConstants {
    static let log2e = Float(bitPattern: 0x3FB8_AA3B)
    static let ln2Hi = Float(bitPattern: 0x3F31_7200)
    static let ln2Lo = Float(bitPattern: 0x35BF_BE8E)
    static let overflow = Float(bitPattern: 0x42B1_7218)      // 88.72283935546875
    static let underflow = -Float(bitPattern: 0x42CF_F1B5)    // -103.97207641601562
    static let c2: Float = 0.5, c3 = Float(1.0 / 6), c4 = Float(1.0 / 24)
    static let c5 = Float(1.0 / 120), c6 = Float(1.0 / 720), c7 = Float(1.0 / 5040)
}

/// e^x by `fexp`'s specified algorithm (ISA.md 7.12), every step one IEEE float32
/// operation: range reduction x = n ln2 + r with two fused multiply-adds, a degree-7 Taylor
/// polynomial in Horner form (fused), and the scaling p * 2^n rounded once. The scaling is
/// done in Double, where p * 2^n is exact, then rounded to float32 once; Swift's
/// Float(sign:exponent:significand:) would round twice for subnormal results.
@inline(__always)
func floatExp(_ x: Float) -> UInt32 {
    typealias C = ExpConstants
    if x.isNaN { return canonicalNaN }
    if x > C.overflow { return 0x7F80_0000 }
    if x < C.underflow { return 0 }
    let n = (x * C.log2e).rounded(.toNearestOrEven)
    var r = x.addingProduct(-n, C.ln2Hi)
    r = r.addingProduct(-n, C.ln2Lo)
    var p = C.c7
    p = C.c6.addingProduct(p, r)
    p = C.c5.addingProduct(p, r)
    p = C.c4.addingProduct(p, r)
    p = C.c3.addingProduct(p, r)
    p = C.c2.addingProduct(p, r)
    p = Float(1).addingProduct(p, r)
    p = Float(1).addingProduct(p, r)
    // |n| <= 150, so 2^n and p * 2^n are exact Doubles.
    let scaled = Double(p) * Double(sign: .plus, exponent: Int(n), significand: 1)
    return Float(scaled).bitPattern
}

// MARK: fsum (ISA.md 7.12)

/// `fsum`'s pairwise tree over `count` float32 values in `s`, which it overwrites: each
/// level adds neighbours s[2i] + s[2i+1] into s[i], an odd last value moves up unchanged;
/// the root is added to +0.0 (so -0.0 gives +0.0 and no values give +0.0).
@inline(__always)
func floatTreeSum(_ s: UnsafeMutablePointer<Float>, _ count: Int) -> UInt32 {
    guard count > 0 else { return 0 }
    var n = count
    while n > 1 {
        for i in 0..<n / 2 { s[i] = s[2 * i] + s[2 * i + 1] }
        if n & 1 == 1 { s[n / 2] = s[n - 1] }
        n = (n + 1) / 2
    }
    return floatBits(Float(0) + s[0])
}
