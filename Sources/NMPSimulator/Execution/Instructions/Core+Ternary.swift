import NMPISA

// ISA.md 7.8: trit MACs and ternarization. The MACs also count their trits for the
// add/subtract/skip energy split (ISA.md 3.3).

extension Core {
    @inline(__always)
    mutating func executeTernary(_ ins: DecodedInstruction) {
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
                let (plus, minus) = Self.tableMAC(sum, mPacked + index * tileBytes, tables, rows: rows, rowBytes: rowBytes)
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
        default:
            break   // not a ternary opcode: the step loop dispatches by group
        }
    }

    /// sum over l < n of m[l] * x[l], the adder tree of one `mmac` row.
    @inline(__always)
    static func dot(_ m: UnsafePointer<Int8>, _ x: UnsafePointer<Int8>, _ n: Int) -> Int32 {
        var sum: Int32 = 0
        for l in 0..<n { sum &+= Int32(m[l]) &* Int32(x[l]) }
        return sum
    }

    /// `mmac` with vl = VLEN on a packed tile: adds each row's dot product with the vector
    /// of `tables` to `sum[row]`; returns the tile's +1 and -1 trit counts (the entries'
    /// fields, VectorTables).
    @inline(__always)
    static func tableMAC(_ sum: UnsafeMutablePointer<Int32>, _ tile: UnsafePointer<UInt8>, _ tables: UnsafePointer<Int32>,
                         rows: Int, rowBytes: Int) -> (Int, Int) {
        var plus = 0, minus = 0
        var row = tile
        for r in 0..<rows {
            var s: Int32 = 0
            var table = tables
            for g in 0..<rowBytes {
                s &+= table[Int(row[g])]
                table += 256
            }
            sum[r] = sum[r] &+ (s >> 16)
            plus &+= Int((s >> 8) & 0xFF)
            minus &+= Int(s & 0xFF)
            row += rowBytes
        }
        return (plus, minus)
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
