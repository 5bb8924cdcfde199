import NMPISA

// ISA.md 7.11 and 7.12: the float32 scale unit and vector unit. Values are IEEE-754
// binary32 bit patterns in accumulator lanes and scalar registers; every result is rounded
// to nearest even, and every NaN result is the canonical NaN (`floatBits`, `lane`). Lanes
// are read before the same lane is written, so a destination may be a source.

extension Core {
    @inline(__always)
    mutating func executeFloat(_ ins: InstructionRef) -> Trap? {
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
        case .fdq:
            // fcvt, fdivs and fmuls in one: three roundings, in that order.
            let dst = acc(ins.a), src = acc(ins.b), s = f32(X(ins.c)), g = f32(X(ins.d))
            for l in 0..<vl { dst[l] = lane((Float(src[l]) / s) * g) }
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

        // Lane-wise, two accumulators.
        case .fvadd:
            let dst = acc(ins.a), p = acc(ins.b), q = acc(ins.c)
            for l in 0..<vl { dst[l] = lane(f32(p[l]) + f32(q[l])) }
        case .fvsub:
            let dst = acc(ins.a), p = acc(ins.b), q = acc(ins.c)
            for l in 0..<vl { dst[l] = lane(f32(p[l]) - f32(q[l])) }
        case .fvmul:
            let dst = acc(ins.a), p = acc(ins.b), q = acc(ins.c)
            for l in 0..<vl { dst[l] = lane(f32(p[l]) * f32(q[l])) }
        case .fvdiv:
            let dst = acc(ins.a), p = acc(ins.b), q = acc(ins.c)
            for l in 0..<vl { dst[l] = lane(f32(p[l]) / f32(q[l])) }
        case .fvmax:
            let dst = acc(ins.a), p = acc(ins.b), q = acc(ins.c)
            for l in 0..<vl { dst[l] = Int32(bitPattern: floatMax(f32(p[l]), f32(q[l]))) }
        case .fvmac:
            // Fused: d + p * q rounded once.
            let dst = acc(ins.a), p = acc(ins.b), q = acc(ins.c)
            for l in 0..<vl { dst[l] = lane(f32(dst[l]).addingProduct(f32(p[l]), f32(q[l]))) }

        // Lane-wise with a scalar.
        case .fadds:
            let dst = acc(ins.a), p = acc(ins.b), s = f32(X(ins.c))
            for l in 0..<vl { dst[l] = lane(f32(p[l]) + s) }
        case .fsubs:
            let dst = acc(ins.a), p = acc(ins.b), s = f32(X(ins.c))
            for l in 0..<vl { dst[l] = lane(f32(p[l]) - s) }
        case .fmaxs:
            let dst = acc(ins.a), p = acc(ins.b), s = f32(X(ins.c))
            for l in 0..<vl { dst[l] = Int32(bitPattern: floatMax(f32(p[l]), s)) }
        case .fmacs:
            let dst = acc(ins.a), p = acc(ins.b), s = f32(X(ins.c))
            for l in 0..<vl { dst[l] = lane(f32(dst[l]).addingProduct(f32(p[l]), s)) }

        // Exponential and the ordered reductions (ISA.md 7.12).
        case .fexp:
            let dst = acc(ins.a), p = acc(ins.b)
            for l in 0..<vl { dst[l] = Int32(bitPattern: floatExp(f32(p[l]))) }
        case .fsum:
            let p = acc(ins.b)
            for l in 0..<vl { floatScratch[l] = f32(p[l]) }
            setX(ins.a, floatTreeSum(floatScratch, vl))
        case .frmax:
            let p = acc(ins.b)
            var largest: UInt32 = 0xFF80_0000   // -inf
            var sawNaN = false
            for l in 0..<vl {
                let value = f32(p[l])
                if value.isNaN { sawNaN = true } else { largest = floatMax(f32(largest), value) }
            }
            setX(ins.a, sawNaN ? canonicalNaN : largest)

        // Scalar.
        case .fadd: setX(ins.a, floatBits(f32(X(ins.b)) + f32(X(ins.c))))
        case .fsub: setX(ins.a, floatBits(f32(X(ins.b)) - f32(X(ins.c))))
        case .fsqrt: setX(ins.a, floatBits(f32(X(ins.b)).squareRoot()))

        // With 16-bit float weights from the weight SRAM (ISA.md 6.10, 7.12).
        case .fwmacbf, .fwmachf:
            return executeFloatWeightMAC(ins)
        case .fmvbf, .fmvhf, .fvmbf, .fvmhf:
            return executeFloatMatrix(ins)
        default:
            break   // not a float opcode: the step loop dispatches by group
        }
        return nil
    }

    /// `fwmacbf` / `fwmachf`: the access is checked (alignment 2, then bounds) before any
    /// lane changes; issue is held for the larger of its bank cycles and the float unit's.
    @inline(__always)
    mutating func executeFloatWeightMAC(_ ins: InstructionRef) -> Trap? {
        let address = Int(X(ins.c) &+ X(ins.d)), n = 2 * vl
        guard address & 1 == 0 else {
            return trap(.misaligned, ins.word, "wsram address \(hexAddress(address)) is not a multiple of 2")
        }
        guard let p = wsramAccess(address, n) else { return wsramTrap(ins, address, n) }
        let lanes = Swift.max(1, (vl + floatLanes - 1) / floatLanes)
        occupancy = Swift.max(occupancy, lanes)
        ideal = Swift.max(ideal, lanes)
        let dst = acc(ins.a), h = acc(ins.b), raw = UnsafeRawPointer(p)
        if ins.opcode == .fwmacbf {
            for l in 0..<vl {
                let w = f32(floatFromBFloat16(raw.loadUnaligned(fromByteOffset: 2 * l, as: UInt16.self).littleEndian))
                dst[l] = lane(f32(dst[l]).addingProduct(f32(h[l]), w))
            }
        } else {
            for l in 0..<vl {
                let w = f32(floatFromFloat16(raw.loadUnaligned(fromByteOffset: 2 * l, as: UInt16.self).littleEndian))
                dst[l] = lane(f32(dst[l]).addingProduct(f32(h[l]), w))
            }
        }
        return nil
    }

    /// `fmvbf` ... `fvmhf` (ISA.md 7.12): ROWS rows of vl 16-bit weights at x[rs] + r * x[rt].
    /// Every row is checked (alignment 2, then bounds) before anything changes; issue is
    /// held for the larger of the rows' bank cycles and ceil(ROWS * vl / floatLanes).
    @inline(__always)
    mutating func executeFloatMatrix(_ ins: InstructionRef) -> Trap? {
        let base = X(ins.c), stride = X(ins.d), n = 2 * vl
        for r in 0..<rows {
            let address = Int(base &+ UInt32(truncatingIfNeeded: r) &* stride)
            guard address & 1 == 0 else {
                return trap(.misaligned, ins.word, "wsram address \(hexAddress(address)) of row \(r) is not a multiple of 2")
            }
            guard address + n <= wsramSize else { return wsramTrap(ins, address, n) }
        }
        // Bank cycles: the words each bank delivers over all rows (ISA.md 6.10).
        let banks = wGeometry.banks, width = wGeometry.width
        var most = 1
        if n > 0 {
            for b in 0..<banks { bankScratch[b] = 0 }
            for r in 0..<rows {
                let address = Int(base &+ UInt32(truncatingIfNeeded: r) &* stride)
                let first = address / width, words = (address + n - 1) / width - first + 1
                let full = words / banks, extra = words % banks
                for b in 0..<banks { bankScratch[b] += full }
                for i in 0..<extra { bankScratch[(first + i) % banks] += 1 }
            }
            for b in 0..<banks { most = Swift.max(most, bankScratch[b]) }
        }
        let lanes = Swift.max(1, (rows * vl + floatLanes - 1) / floatLanes)
        let ideal = Swift.max(1, (rows * n + banks * width - 1) / (banks * width))
        occupancy = Swift.max(most, lanes)
        self.ideal = Swift.max(ideal, lanes)
        let bf16 = ins.opcode == .fmvbf || ins.opcode == .fvmbf
        @inline(__always) func weight(_ r: Int, _ l: Int) -> Float {
            let address = Int(base &+ UInt32(truncatingIfNeeded: r) &* stride) + 2 * l
            let half = UInt16(wsram[address]) | UInt16(wsram[address + 1]) << 8
            return f32(bf16 ? floatFromBFloat16(half) : floatFromFloat16(half))
        }
        // The vector is read before any result lane is written (ad may equal as).
        let dst = acc(ins.a), x = floatScratch + vlen, source = acc(ins.b)
        let reducesLanes = ins.opcode == .fmvbf || ins.opcode == .fmvhf
        for l in 0..<(reducesLanes ? vl : rows) { x[l] = f32(source[l]) }
        if reducesLanes {
            // Each row summed over the lanes into lane r; lanes ROWS ..< VLEN unchanged.
            for r in 0..<rows {
                for l in 0..<vl { floatScratch[l] = f32(lane(x[l] * weight(r, l))) }
                dst[r] = lane(f32(dst[r]) + f32(floatTreeSum(floatScratch, vl)))
            }
        } else {
            // Each lane summed over the rows; the vector's lanes 0 ..< ROWS are read first.
            for l in 0..<vl {
                for r in 0..<rows { floatScratch[r] = f32(lane(x[r] * weight(r, l))) }
                dst[l] = lane(f32(dst[l]) + f32(floatTreeSum(floatScratch, rows)))
            }
        }
        return nil
    }
}
