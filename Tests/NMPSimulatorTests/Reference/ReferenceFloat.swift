// The float32 vector unit of ISA.md 7.12 and the bfloat16/binary16 conversions of 7.6,
// written for the reference machine independently of the simulator: binary formats are
// decoded into an exact integer significand and a power of two and rounded to nearest even
// by hand (`round`), a fused multiply-add is computed in Double with an exact error term and
// rounding to odd, and fexp, fsum and the reductions follow ISA.md's pseudo-code step by step.

import Foundation

extension RefFloat {
    /// An IEEE binary interchange format: fraction bits and exponent bits.
    struct Format {
        var fractionBits: Int
        var exponentBits: Int
        var bias: Int { (1 << (exponentBits - 1)) - 1 }
        var exponentMask: UInt32 { (1 << UInt32(exponentBits)) - 1 }
        var signBit: UInt32 { 1 << UInt32(fractionBits + exponentBits) }
        /// The quiet NaN with only the top fraction bit set (ISA.md's canonical NaNs).
        var canonicalNaN: UInt32 { exponentMask << UInt32(fractionBits) | 1 << UInt32(fractionBits - 1) }
        var infinity: UInt32 { exponentMask << UInt32(fractionBits) }
    }

    static let binary32 = Format(fractionBits: 23, exponentBits: 8)
    static let bfloat16 = Format(fractionBits: 7, exponentBits: 8)
    static let binary16 = Format(fractionBits: 10, exponentBits: 5)

    /// What a pattern of `format` holds.
    enum Decoded {
        case nan
        case infinity(negative: Bool)
        /// (-1)^negative * significand * 2^exponent, exactly (significand 0 for a zero).
        case finite(negative: Bool, significand: UInt64, exponent: Int)
    }

    static func decode(_ bits: UInt32, _ f: Format) -> Decoded {
        let negative = bits & f.signBit != 0
        let biased = Int((bits >> UInt32(f.fractionBits)) & f.exponentMask)
        let fraction = UInt64(bits & ((1 << UInt32(f.fractionBits)) - 1))
        if biased == Int(f.exponentMask) { return fraction != 0 ? .nan : .infinity(negative: negative) }
        if biased == 0 { return .finite(negative: negative, significand: fraction, exponent: 1 - f.bias - f.fractionBits) }
        return .finite(negative: negative, significand: fraction | 1 << UInt64(f.fractionBits),
                       exponent: biased - f.bias - f.fractionBits)
    }

    /// (-1)^negative * significand * 2^exponent rounded to `f`, to nearest, ties to even:
    /// subnormal results kept, too large ones infinite.
    static func round(negative: Bool, significand m: UInt64, exponent k: Int, to f: Format) -> UInt32 {
        let sign = negative ? f.signBit : 0
        guard m > 0 else { return sign }
        let top = 63 - m.leadingZeroBitCount + k                  // floor(log2 |value|)
        let minExponent = 1 - f.bias
        // The value of the last significand bit kept: fixed below the normal range.
        var quantum = max(top, minExponent) - f.fractionBits
        var n: UInt64
        if k >= quantum {
            n = m << UInt64(k - quantum)                           // exact
        } else {
            let shift = quantum - k
            if shift >= 64 {
                n = 0                                              // m < 2^64 <= half: rounds down
            } else {
                n = m >> UInt64(shift)
                let rest = m & ((1 << UInt64(shift)) - 1), half = UInt64(1) << UInt64(shift - 1)
                if rest > half || (rest == half && n & 1 == 1) { n += 1 }
            }
        }
        if n == 1 << UInt64(f.fractionBits + 1) { n >>= 1; quantum += 1 }   // rounded up to the next binade
        if n < 1 << UInt64(f.fractionBits) { return sign | UInt32(n) }       // subnormal (or zero)
        let biased = quantum + f.fractionBits + f.bias
        if biased >= Int(f.exponentMask) { return sign | f.infinity }
        return sign | UInt32(biased) << UInt32(f.fractionBits) | UInt32(n - (1 << UInt64(f.fractionBits)))
    }

    /// A pattern of one format rounded to another; every NaN gives the target's canonical NaN.
    static func convert(_ bits: UInt32, from source: Format, to target: Format) -> UInt32 {
        switch decode(bits, source) {
        case .nan: return target.canonicalNaN
        case .infinity(let negative): return (negative ? target.signBit : 0) | target.infinity
        case .finite(let negative, let m, let k): return round(negative: negative, significand: m, exponent: k, to: target)
        }
    }

    /// `hgemm`'s product of two binary16 patterns as a float32 pattern (ISA.md 7.8), from the
    /// exact product of the decoded significands rounded by hand (the rounding never changes
    /// it: 11 x 11 significand bits fit float32's 24); an infinity times a zero, or a NaN, is
    /// the canonical NaN.
    static func halfProduct(_ w: UInt32, _ x: UInt32) -> UInt32 {
        switch (decode(w, binary16), decode(x, binary16)) {
        case (.nan, _), (_, .nan):
            return canonicalNaN
        case (.infinity(let p), .infinity(let q)):
            return (p != q ? binary32.signBit : 0) | binary32.infinity
        case (.infinity(let p), .finite(let q, let m, _)), (.finite(let q, let m, _), .infinity(let p)):
            return m == 0 ? canonicalNaN : (p != q ? binary32.signBit : 0) | binary32.infinity
        case (.finite(let p, let m, let k), .finite(let q, let n, let j)):
            return round(negative: p != q, significand: m * n, exponent: k + j, to: binary32)
        }
    }

    // MARK: One IEEE operation each (7.12)

    /// Sums and square roots in Double rounded once more to float32 are correctly rounded:
    /// 53 >= 2 * 24 + 2 (the same argument as for products and quotients, above).
    static func add(_ p: UInt32, _ q: UInt32) -> UInt32 { bits(value(p) + value(q)) }
    static func subtract(_ p: UInt32, _ q: UInt32) -> UInt32 { bits(value(p) - value(q)) }
    static func squareRoot(_ p: UInt32) -> UInt32 { bits(value(p).squareRoot()) }

    /// fma(p, q, c) = p * q + c rounded once. p * q is exact in Double; the Double sum s is
    /// rounded, but TwoSum gives its exact error e, and rounding s to odd when e != 0 (the
    /// odd neighbour in e's direction) keeps enough information that rounding it to float32
    /// gives the correctly rounded result (round-to-odd with 53 >= 24 + 2 bits).
    static func fma(_ p: UInt32, _ q: UInt32, _ c: UInt32) -> UInt32 {
        let product = value(p) * value(q), addend = value(c)
        let s = product + addend
        guard product.isFinite, addend.isFinite else { return bits(s) }   // infinities and NaN
        let b = s - product
        let e = (product - (s - b)) + (addend - b)
        var odd = s
        if e != 0 && odd.bitPattern & 1 == 0 { odd = e > 0 ? odd.nextUp : odd.nextDown }
        return bits(odd)
    }

    /// A float32 rounded to an integral float32, ties to even, keeping the sign (-0.3 -> -0.0).
    static func roundToIntegral(_ p: UInt32) -> UInt32 {
        let x = value(p)
        guard x.isFinite, abs(x) < 8_388_608 else { return p }   // 2^23 and above are integers
        var whole = abs(x).rounded(.down)
        let fraction = abs(x) - whole
        if fraction > 0.5 || (fraction == 0.5 && whole.truncatingRemainder(dividingBy: 2) == 1) { whole += 1 }
        return bits(x < 0 || p == 0x8000_0000 ? -whole : whole)
    }

    /// fexp of ISA.md 7.12, step by step.
    static func exp(_ x: UInt32) -> UInt32 {
        if isNaN(x) { return canonicalNaN }
        let v = value(x)
        if v > value(0x42B1_7218) { return 0x7F80_0000 }
        if v < -value(0x42CF_F1B5) { return 0 }
        let n = roundToIntegral(multiply(x, 0x3FB8_AA3B))           // x * log2(e)
        let minusN = n ^ 0x8000_0000
        var r = fma(minusN, 0x3F31_7200, x)                          // x - n * LN2_HI
        r = fma(minusN, 0x35BF_BE8E, r)                              // ... - n * LN2_LO
        // C_k: the float32 nearest 1/k!, from the exact fraction 1/k! (Double's 1/k! is
        // within 2^-53 relatively, far from a float32 tie for these k).
        let c = (0...7).map { k in bits(1 / Double((1...max(k, 1)).reduce(1, *))) }
        var p = c[7]
        for k in stride(from: 6, through: 0, by: -1) { p = fma(p, r, c[k]) }
        // p * 2^n rounded once.
        guard case .finite(let negative, let m, let k) = decode(p, binary32) else { return p }
        return round(negative: negative, significand: m, exponent: k + Int(value(n)), to: binary32)
    }

    /// fsum's pairwise tree (ISA.md 7.12), then +0.0 + the root.
    static func treeSum(_ lanes: [UInt32]) -> UInt32 {
        var s = lanes
        var n = s.count
        guard n > 0 else { return 0 }
        while n > 1 {
            var level: [UInt32] = []
            for i in 0..<n / 2 { level.append(add(s[2 * i], s[2 * i + 1])) }
            if n % 2 == 1 { level.append(s[n - 1]) }
            s = level
            n = level.count
        }
        return add(0, s[0])
    }
}
