import NMPISA

// ISA.md 7.8: trit MACs and ternarization. The MACs also count their trits for the
// add/subtract/skip energy split (ISA.md 3.3).

extension Core {
    @inline(__always)
    mutating func executeTernary(_ ins: InstructionRef) -> Trap? {
        switch ins.opcode {
        case .vmac:
            let sum = acc(ins.a), w = tritRow(ins.b), xs = int8(ins.c)
            var nonzero = 0, total = 0
            for l in 0..<vl {
                let trit = w[l]
                sum[l] = sum[l] &+ Int32(trit) &* Int32(xs[l])
                nonzero &+= Int(trit & 1)
                total &+= Int(trit)
            }
            tritNonzero += nonzero; tritSum += total; tritTotal += vl
        case .mmac:
            let sum = acc(ins.a), index = Int(ins.b), xs = int8(ins.c)
            if vl == vlen, let tables = vectorTables.tables(for: xs) {
                // Straight from the packed bytes: one table read per byte (VectorTables).
                let (plus, minus) = Self.tableMAC(sum, mPacked + index * tileBytes, tables, rows: rows, rowBytes: rowBytes, counts: trits.counts, lastCounts: trits.lastCounts)
                matrixPlus[index] = plus
                matrixMinus[index] = minus
                matrixCountVL[index] = vl
            } else {
                let matrix = decodedMatrix(index)
                for r in 0..<rows { sum[r] = sum[r] &+ Self.dot(matrix + r * vlen, xs, vl) }
                if matrixCountVL[index] != vl {
                    (matrixPlus[index], matrixMinus[index]) = Self.tritCounts(matrix, rows: rows, vlen: vlen, vl: vl)
                    matrixCountVL[index] = vl
                }
            }
            tritNonzero += matrixPlus[index] + matrixMinus[index]
            tritSum += matrixPlus[index] - matrixMinus[index]
            tritTotal += rows * vl
        case .sgn:
            let threshold = Int64(Int32(bitPattern: X(ins.c)))
            let dst = tritRow(ins.a), src = acc(ins.b)
            for l in 0..<vl {
                let value = Int64(src[l])
                dst[l] = value > threshold ? 1 : (value < -threshold ? -1 : 0)
            }
        case .sgnb:
            let dst = tritRow(ins.a), src = acc(ins.b)
            for l in 0..<vl { dst[l] = src[l] >= 0 ? 1 : -1 }
        case .thr:
            let dst = tritRow(ins.a), src = acc(ins.b), high = acc(ins.c), low = acc(ins.d)
            for l in 0..<vl { dst[l] = src[l] > high[l] ? 1 : (src[l] < low[l] ? -1 : 0) }
        case .tcvt:
            int8(ins.a).update(from: tritRow(ins.b), count: vl)
        case .mgemm, .mgemz:
            return gemm(ins)
        case .hgemm, .hgemz:
            return halfGemm(ins)
        default:
            break   // not a ternary opcode: the step loop dispatches by group
        }
        return nil
    }

    /// `mgemm`'s N: its accumulators aD ... aE (fields A and D, E >= D by decoding).
    @inline(__always)
    func gemmCount(_ ins: InstructionRef) -> Int { Int(ins.d &- ins.a) &+ 1 }

    /// The address of a product's vector `n`: x[rx] + n * VLEN * `laneBytes` (1 for
    /// `mgemm`'s int8 lanes, 2 for `hgemm`'s binary16 ones), wrapping modulo 2^32.
    @inline(__always)
    func gemmVector(_ ins: InstructionRef, _ n: Int, laneBytes: Int = 1) -> Int {
        Int(X(ins.c) &+ UInt32(truncatingIfNeeded: n &* vlen &* laneBytes))
    }

    /// A product's array cycles k (ISA.md 6.12): the larger of its tile's weight-SRAM bank
    /// cycles and the sum of its vectors' activation-SRAM bank cycles.
    @inline(__always)
    func gemmCycles(_ ins: InstructionRef, tileBytes: Int, laneBytes: Int) -> Int {
        var vectors = 0
        for n in 0..<gemmCount(ins) { vectors += aGeometry.cycles(gemmVector(ins, n, laneBytes: laneBytes), vl &* laneBytes).0 }
        return max(wGeometry.cycles(Int(X(ins.b)), tileBytes).0, vectors)
    }

    /// `hgemm` and `hgemz` (ISA.md 7.8), the FP16 array's products: the tile (ROWS rows of
    /// VLEN binary16 values, row r at x[rw] + 2 * r * VLEN) and every vector are checked
    /// before anything changes; then, per vector and row, the pairwise tree of ISA.md 7.12
    /// over the vl products (each exact in float32) is added to (or replaces) the
    /// accumulator lane, and the pointers advance.
    @inline(__always)
    mutating func halfGemm(_ ins: InstructionRef) -> Trap? {
        let tileBytes = 2 &* rows &* vlen, vectorBytes = 2 &* vl
        let w = Int(X(ins.b)), count = gemmCount(ins)
        guard w + tileBytes <= wsramSize else { return wsramTrap(ins, w, tileBytes) }
        for n in 0..<count {
            let address = gemmVector(ins, n, laneBytes: 2)
            guard address + vectorBytes <= asramSize else { return outOfBoundsTrap(ins, "asram", address, vectorBytes, asramSize) }
        }
        @inline(__always) func half(_ p: UnsafeMutablePointer<UInt8>, _ i: Int) -> UInt16 { UInt16(p[2 * i]) | UInt16(p[2 * i + 1]) << 8 }
        let tile = wsram + w, overwrites = ins.opcode == .hgemz
        // A tile of zeros (both signs) times finite vectors: every product is a zero, so every
        // tree is +0.0 (its root adds to +0.0). Exact, and it spares the FP16 baseline's
        // cost runs, whose weights are zeros, the host's multiplies.
        var zeros = true
        for i in 0..<rows &* vlen where half(tile, i) & 0x7FFF != 0 { zeros = false; break }
        let x = floatScratch + vlen
        for n in 0..<count {
            let vector = asram + gemmVector(ins, n, laneBytes: 2)
            var finite = true
            for l in 0..<vl {
                x[l] = f32(floatFromFloat16(half(vector, l)))
                if !x[l].isFinite { finite = false }
            }
            let sum = acc(ins.a + Int32(n))
            if zeros && finite {
                for r in 0..<rows { sum[r] = overwrites ? 0 : lane(f32(sum[r]) + Float(0)) }
                continue
            }
            for r in 0..<rows {
                let row = tile + 2 &* r &* vlen
                for l in 0..<vl { floatScratch[l] = f32(lane(f32(floatFromFloat16(half(row, l))) * x[l])) }
                let tree = f32(floatTreeSum(floatScratch, vl))
                sum[r] = overwrites ? lane(tree) : lane(f32(sum[r]) + tree)
            }
        }
        setX(ins.b, UInt32(truncatingIfNeeded: w + tileBytes))
        setX(ins.c, X(ins.c) &+ UInt32(truncatingIfNeeded: count * 2 * vlen))
        return nil
    }

    /// `mgemm` and `mgemz` (ISA.md 7.8): the tile and every vector are checked before
    /// anything changes; then each vector's ROWS dot products with the tile are added to (or
    /// replace) its accumulator, and the pointers advance. (The step loop takes the array
    /// cycles from `gemmCycles`, computed before the pointers move.)
    @inline(__always)
    mutating func gemm(_ ins: InstructionRef) -> Trap? {
        let w = Int(X(ins.b)), count = gemmCount(ins)
        guard w + tileBytes <= wsramSize else { return wsramTrap(ins, w, tileBytes) }
        let tile = wsram + w
        guard trits.allValid(tileBytes, at: tile) else { return invalidTritTrap(ins, w, tile, tileBytes) }
        for n in 0..<count {
            let address = gemmVector(ins, n)
            guard address + vl <= asramSize else { return outOfBoundsTrap(ins, "asram", address, vl, asramSize) }
        }
        var plus = 0, minus = 0
        var unpacked = false
        let overwrites = ins.opcode == .mgemz
        for n in 0..<count {
            let sum = acc(ins.a + Int32(n))
            if overwrites { sum.update(repeating: 0, count: rows) }
            let xs = UnsafeRawPointer(asram + gemmVector(ins, n)).assumingMemoryBound(to: Int8.self)
            if vl == vlen, let tables = vectorTables.tables(for: xs) {
                (plus, minus) = Self.tableMAC(sum, tile, tables, rows: rows, rowBytes: rowBytes, counts: trits.counts, lastCounts: trits.lastCounts)
            } else {
                if !unpacked {
                    _ = trits.unpack(rows: rows, rowBytes: rowBytes, vlen: vlen, from: tile, to: scratch)
                    unpacked = true
                    (plus, minus) = Self.tritCounts(scratch, rows: rows, vlen: vlen, vl: vl)
                }
                for r in 0..<rows { sum[r] = sum[r] &+ Self.dot(scratch + r * vlen, xs, vl) }
            }
        }
        tritNonzero += count * (plus + minus)
        tritSum += count * (plus - minus)
        tritTotal += count * rows * vl
        setX(ins.b, UInt32(truncatingIfNeeded: w + tileBytes))
        setX(ins.c, X(ins.c) &+ UInt32(truncatingIfNeeded: count * vlen))
        return nil
    }

    /// sum over l < n of m[l] * x[l], the adder tree of one `mmac` row.
    @inline(__always)
    static func dot(_ m: UnsafePointer<Int8>, _ x: UnsafePointer<Int8>, _ n: Int) -> Int32 {
        var sum: Int32 = 0
        for l in 0..<n { sum &+= Int32(m[l]) &* Int32(x[l]) }
        return sum
    }

    /// `mmac` with vl = VLEN on a packed tile: adds each row's dot product with the vector
    /// of `tables` to `sum[row]` (one table read per packed byte, VectorTables); returns
    /// the tile's +1 and -1 trit counts (`counts` for a row's bytes, `lastCounts` for its
    /// last, whose padding trits do not count: TritCodec). The usual row sizes get a copy
    /// of the loop with the size a constant, which the compiler unrolls.
    @inline(never)
    static func tableMAC(_ sum: UnsafeMutablePointer<Int32>, _ tile: UnsafePointer<UInt8>, _ tables: UnsafePointer<Int16>,
                         rows: Int, rowBytes: Int, counts: UnsafePointer<Int>, lastCounts: UnsafePointer<Int>) -> (Int, Int) {
        switch rowBytes {
        case 13: tableMAC(sum, tile, tables, rows: rows, fixedRowBytes: 13, counts: counts, lastCounts: lastCounts)
        case 16: tableMAC(sum, tile, tables, rows: rows, fixedRowBytes: 16, counts: counts, lastCounts: lastCounts)
        case 26: tableMAC(sum, tile, tables, rows: rows, fixedRowBytes: 26, counts: counts, lastCounts: lastCounts)
        case 32: tableMAC(sum, tile, tables, rows: rows, fixedRowBytes: 32, counts: counts, lastCounts: lastCounts)
        default: tableMAC(sum, tile, tables, rows: rows, fixedRowBytes: rowBytes, counts: counts, lastCounts: lastCounts)
        }
    }

    @inline(__always)
    static func tableMAC(_ sum: UnsafeMutablePointer<Int32>, _ tile: UnsafePointer<UInt8>, _ tables: UnsafePointer<Int16>,
                         rows: Int, fixedRowBytes rowBytes: Int, counts: UnsafePointer<Int>, lastCounts: UnsafePointer<Int>) -> (Int, Int) {
        // +1 counts in bits 0-31, -1 counts in bits 32-63 (a tile has at most 2^22 trits).
        var both = 0
        var row = tile
        for r in 0..<rows {
            var s: Int32 = 0
            for g in 0..<rowBytes - 1 {
                let byte = Int(row[g])
                s &+= Int32(tables[g &<< 8 | byte])
                both &+= counts[byte]
            }
            let byte = Int(row[rowBytes - 1])
            s &+= Int32(tables[(rowBytes - 1) &<< 8 | byte])
            both &+= lastCounts[byte]
            sum[r] = sum[r] &+ s
            row += rowBytes
        }
        return (both & 0xFFFF_FFFF, both >> 32)
    }

    /// The +1 and -1 trits in lanes below vl of all rows of a matrix register.
    static func tritCounts(_ matrix: UnsafePointer<Int8>, rows: Int, vlen: Int, vl: Int) -> (Int, Int) {
        var nonzero = 0, sum = 0
        for r in 0..<rows {
            let row = matrix + r * vlen
            var rowNonzero: Int32 = 0, rowSum: Int32 = 0
            for l in 0..<vl {
                rowNonzero &+= Int32(row[l] & 1)
                rowSum &+= Int32(row[l])
            }
            nonzero += Int(rowNonzero); sum += Int(rowSum)
        }
        return ((nonzero + sum) / 2, (nonzero - sum) / 2)
    }
}
