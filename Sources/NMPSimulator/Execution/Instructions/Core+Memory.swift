import NMPISA

// ISA.md 7.6: loads and stores. Each access is checked (alignment, then bounds) before it
// changes anything, then reports the issue cycles its SRAM banks need (ISA.md 6.2).

extension Core {
    @inline(__always)
    mutating func executeMemory(_ ins: InstructionRef) -> Trap? {
        let address = effectiveAddress(ins)
        switch ins.opcode {
        case .lw:
            guard let p = asramAccess(address, 4, alignment: 4) else { return asramTrap(ins, address, 4, alignment: 4) }
            setX(ins.a, UnsafeRawPointer(p).loadUnaligned(as: UInt32.self).littleEndian)
        case .sw:
            guard let p = asramAccess(address, 4, alignment: 4) else { return asramTrap(ins, address, 4, alignment: 4) }
            UnsafeMutableRawPointer(p).storeBytes(of: X(ins.a).littleEndian, as: UInt32.self)
        case .lb:
            guard let p = asramAccess(address, 1, alignment: 1) else { return asramTrap(ins, address, 1, alignment: 1) }
            setX(ins.a, UInt32(bitPattern: Int32(Int8(bitPattern: p.pointee))))
        case .sb:
            guard let p = asramAccess(address, 1, alignment: 1) else { return asramTrap(ins, address, 1, alignment: 1) }
            p.pointee = UInt8(truncatingIfNeeded: X(ins.a))
        case .ldv:
            guard let p = asramAccess(address, vl, alignment: 1) else { return asramTrap(ins, address, vl, alignment: 1) }
            UnsafeMutableRawPointer(int8(ins.a)).copyMemory(from: p, byteCount: vl)
        case .stv:
            guard let p = asramAccess(address, vl, alignment: 1) else { return asramTrap(ins, address, vl, alignment: 1) }
            UnsafeMutableRawPointer(p).copyMemory(from: int8(ins.a), byteCount: vl)
        case .lda:
            guard let p = asramAccess(address, 4 * vl, alignment: 4) else { return asramTrap(ins, address, 4 * vl, alignment: 4) }
            UnsafeMutableRawPointer(acc(ins.a)).copyMemory(from: p, byteCount: 4 * vl)
        case .sta:
            guard let p = asramAccess(address, 4 * vl, alignment: 4) else { return asramTrap(ins, address, 4 * vl, alignment: 4) }
            UnsafeMutableRawPointer(p).copyMemory(from: acc(ins.a), byteCount: 4 * vl)
        case .ldbf, .ldhf:
            guard let p = asramAccess(address, 2 * vl, alignment: 2) else { return asramTrap(ins, address, 2 * vl, alignment: 2) }
            let dst = acc(ins.a), raw = UnsafeRawPointer(p)
            if ins.opcode == .ldbf {
                for l in 0..<vl { dst[l] = Int32(bitPattern: floatFromBFloat16(raw.loadUnaligned(fromByteOffset: 2 * l, as: UInt16.self).littleEndian)) }
            } else {
                for l in 0..<vl { dst[l] = Int32(bitPattern: floatFromFloat16(raw.loadUnaligned(fromByteOffset: 2 * l, as: UInt16.self).littleEndian)) }
            }
        case .stbf, .sthf:
            guard let p = asramAccess(address, 2 * vl, alignment: 2) else { return asramTrap(ins, address, 2 * vl, alignment: 2) }
            let src = acc(ins.a), raw = UnsafeMutableRawPointer(p)
            if ins.opcode == .stbf {
                for l in 0..<vl { raw.storeBytes(of: bfloat16(UInt32(bitPattern: src[l])).littleEndian, toByteOffset: 2 * l, as: UInt16.self) }
            } else {
                for l in 0..<vl { raw.storeBytes(of: float16(UInt32(bitPattern: src[l])).littleEndian, toByteOffset: 2 * l, as: UInt16.self) }
            }
        case .ldt:
            guard let p = wsramAccess(address, rowBytes) else { return wsramTrap(ins, address, rowBytes) }
            let unpacked = trits.unpack(rows: 1, rowBytes: rowBytes, vlen: vlen, from: p, to: scratch)
            guard unpacked.valid else { return invalidTritTrap(ins, address, p, rowBytes) }
            tritRow(ins.a).update(from: scratch, count: vlen)
        case .ldm:
            guard let p = wsramAccess(address, tileBytes) else { return wsramTrap(ins, address, tileBytes) }
            // The register takes the packed bytes; its Int8 form is unpacked when read
            // (RegisterFiles), its trit counts taken by the first mmac.
            let index = Int(ins.a)
            // A register keeps its old value when the load traps: check, then copy.
            guard trits.allValid(tileBytes, at: p) else { return invalidTritTrap(ins, address, p, tileBytes) }
            (mPacked + index * tileBytes).update(from: p, count: tileBytes)
            mDecoded[index] = false
            matrixCountVL[index] = -1
        case .stt:
            guard let p = wsramAccess(address, rowBytes) else { return wsramTrap(ins, address, rowBytes) }
            packing.pack(tritRow(ins.a), count: vlen, into: p)
        default:
            break   // not a memory opcode: the step loop dispatches by group
        }
        return nil
    }

    // MARK: Access checks and bank cycles

    /// The activation SRAM bytes of an access of `n` bytes at `address`, and its bank
    /// cycles in `occupancy`/`ideal`; nil if it is misaligned or out of bounds.
    @inline(__always)
    mutating func asramAccess(_ address: Int, _ n: Int, alignment: Int) -> UnsafeMutablePointer<UInt8>? {
        guard address & (alignment - 1) == 0 && address + n <= asramSize else { return nil }
        (occupancy, ideal) = aGeometry.cycles(address, n)
        return asram + address
    }

    /// Likewise in the weight SRAM, whose accesses need no alignment.
    @inline(__always)
    mutating func wsramAccess(_ address: Int, _ n: Int) -> UnsafeMutablePointer<UInt8>? {
        guard address + n <= wsramSize else { return nil }
        (occupancy, ideal) = wGeometry.cycles(address, n)
        return wsram + address
    }

    /// Issue cycles of an SRAM access of `n` bytes at `address` (ISA.md 6.2): the most
    /// words any one bank must deliver, at least 1; and the ideal for n bytes.
    @inline(__always)
    static func bankCycles(_ address: Int, _ n: Int, banks: Int, width: Int) -> (Int, Int) {
        guard n > 0 else { return (1, 1) }
        let words = (address + n - 1) / width - address / width + 1
        let perBank = (words + banks - 1) / banks
        let ideal = (n + banks * width - 1) / (banks * width)
        return (perBank, ideal)
    }

    // MARK: Traps (cold)

    /// The trap of a failed activation SRAM access: misaligned before out of bounds (ISA.md 7.6).
    func asramTrap(_ ins: InstructionRef, _ address: Int, _ n: Int, alignment: Int) -> Trap {
        if address & (alignment - 1) != 0 {
            return trap(.misaligned, ins.word, "asram address \(hexAddress(address)) is not a multiple of \(alignment)")
        }
        return outOfBoundsTrap(ins, "asram", address, n, asramSize)
    }

    func wsramTrap(_ ins: InstructionRef, _ address: Int, _ n: Int) -> Trap {
        outOfBoundsTrap(ins, "wsram", address, n, wsramSize)
    }

    func outOfBoundsTrap(_ ins: InstructionRef, _ space: String, _ address: Int, _ n: Int, _ size: Int) -> Trap {
        trap(.outOfBounds, ins.word,
             "\(space) access of \(n) bytes at \(hexAddress(address)) ends at \(hexAddress(address + n)), beyond the \(size)-byte memory")
    }

    func invalidTritTrap(_ ins: InstructionRef, _ address: Int, _ p: UnsafeMutablePointer<UInt8>, _ n: Int) -> Trap {
        let bad = trits.firstInvalid(p, count: n) ?? 0
        return trap(.invalidTritCode, ins.word,
                    "wsram byte \(hexAddress(address + bad)) = 0x\(hex(UInt32(p[bad]), digits: 2)) is not a valid \(packing.rawValue) code")
    }
}
