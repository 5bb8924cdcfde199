import NMPISA

// ISA.md 7.9: accumulator element-wise operations (saturating), reductions and `rq`.

extension Core {
    @inline(__always)
    mutating func executeAccumulator(_ ins: InstructionRef) {
        // Pointers are formed only for the fields that name accumulators in each case.
        switch ins.opcode {
        case .azero: acc(ins.a).update(repeating: 0, count: vl)
        case .abcast: acc(ins.a).update(repeating: Int32(bitPattern: X(ins.b)), count: vl)
        case .awiden:
            let dst = acc(ins.a), src = int8(ins.b)
            for l in 0..<vl { dst[l] = Int32(src[l]) }
        case .aadd:
            let dst = acc(ins.a), p = acc(ins.b), q = acc(ins.c)
            for l in 0..<vl { dst[l] = Int32(clamping: Int64(p[l]) + Int64(q[l])) }
        case .asub:
            let dst = acc(ins.a), p = acc(ins.b), q = acc(ins.c)
            for l in 0..<vl { dst[l] = Int32(clamping: Int64(p[l]) - Int64(q[l])) }
        case .amul:
            let dst = acc(ins.a), p = acc(ins.b), q = acc(ins.c)
            for l in 0..<vl { dst[l] = Int32(clamping: Int64(p[l]) * Int64(q[l])) }
        case .arelu:
            let dst = acc(ins.a), p = acc(ins.b)
            for l in 0..<vl { dst[l] = Swift.max(p[l], 0) }
        case .asq:
            let dst = acc(ins.a), p = acc(ins.b)
            for l in 0..<vl { dst[l] = Int32(clamping: Int64(p[l]) * Int64(p[l])) }
        case .amax:
            let p = acc(ins.b)
            var largest: Int64 = 0
            for l in 0..<vl { largest = Swift.max(largest, Swift.min(Swift.abs(Int64(p[l])), Int64(Int32.max))) }
            setX(ins.a, UInt32(largest))
        case .asum:
            let p = acc(ins.b)
            var sum: Int32 = 0
            for l in 0..<vl { sum = sum &+ p[l] }
            setX(ins.a, UInt32(bitPattern: sum))
        case .rq:
            let out = int8(ins.a), p = acc(ins.b)
            let scale = Int64(Int32(bitPattern: X(ins.c)))
            let shift = Int64(X(ins.d) & 63)
            for l in 0..<vl { out[l] = requantize(Int64(p[l]) * scale, shift: shift) }
        default:
            break   // not an accumulator opcode: the step loop dispatches by group
        }
    }
}

/// `rq`'s rounding (ISA.md 7.9): p / 2^shift rounded half to even, then saturated to int8.
@inline(__always)
func requantize(_ p: Int64, shift: Int64) -> Int8 {
    guard shift > 0 else { return Int8(clamping: p) }
    var q = p >> shift
    let mask = (UInt64(1) << UInt64(shift)) &- 1
    let rest = UInt64(bitPattern: p) & mask
    let half = UInt64(1) << UInt64(shift - 1)
    if rest > half || (rest == half && q & 1 == 1) { q += 1 }
    return Int8(clamping: q)
}
