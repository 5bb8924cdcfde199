import NMPISA

// ISA.md 7.11: the float32 scale unit. Values are IEEE-754 binary32 bit patterns in
// accumulator lanes and scalar registers; every result is rounded to nearest even and
// every NaN result is the canonical NaN (`floatBits`).

extension Core {
    @inline(__always)
    mutating func executeFloat(_ ins: DecodedInstruction) {
        switch ins.opcode {
        case .fcvt:
            let dst = acc(ins.a), src = acc(ins.b)
            for l in 0..<vl { dst[l] = Int32(bitPattern: Float(src[l]).bitPattern) }
        case .fmuls:
            let dst = acc(ins.a), src = acc(ins.b), s = f32(X(ins.c))
            for l in 0..<vl { dst[l] = lane(f32(src[l]) * s) }
        case .fdivs:
            let dst = acc(ins.a), src = acc(ins.b), s = f32(X(ins.c))
            for l in 0..<vl { dst[l] = lane(f32(src[l]) / s) }
        case .famax:
            let src = acc(ins.b)
            var largest: Float = 0
            var sawNaN = false
            for l in 0..<vl {
                let value = f32(src[l])
                if value.isNaN { sawNaN = true } else { largest = Swift.max(largest, value.magnitude) }
            }
            setX(ins.a, sawNaN ? canonicalNaN : largest.bitPattern)
        case .fq:
            let dst = int8(ins.a), src = acc(ins.b), s = f32(X(ins.c))
            for l in 0..<vl { dst[l] = quantizeFloat(f32(src[l]) * s) }
        case .fdiv: setX(ins.a, floatBits(f32(X(ins.b)) / f32(X(ins.c))))
        case .fmul: setX(ins.a, floatBits(f32(X(ins.b)) * f32(X(ins.c))))
        case .fmax: setX(ins.a, floatMax(f32(X(ins.b)), f32(X(ins.c))))
        default:
            break   // not a float opcode: the step loop dispatches by group
        }
    }
}
