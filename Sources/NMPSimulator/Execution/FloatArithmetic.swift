// The float32 arithmetic of ISA.md 7.11 and 7.12 shared by the float handlers: the
// canonical NaN, the maximum with -0.0 below +0.0, and `fq`'s rounding.

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
