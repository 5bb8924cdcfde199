// The packed trit layouts of chapter 4, written out naively for the reference machine.

import NMPTrits

enum RefTrits {
    static func tritsPerByte(_ packing: TritPacking) -> Int { packing == .base3 ? 5 : 4 }

    /// d(t) = t mod 3: 0 -> 0, +1 -> 1, -1 -> 2 (4.1).
    static func digit(_ t: Int8) -> Int { (Int(t) + 3) % 3 }

    /// The inverse of `digit`: 0 -> 0, 1 -> +1, 2 -> -1.
    static func trit(_ d: Int) -> Int8 { d == 0 ? 0 : d == 1 ? 1 : -1 }

    /// The tritsPerByte trits of one byte (trit 0 first, padding trits included), or nil
    /// when the byte is not a valid code: 243 ... 255 in base3 (4.2), a 0b11 field in 2bit
    /// (4.3).
    static func decode(_ byte: UInt8, _ packing: TritPacking) -> [Int8]? {
        var trits: [Int8] = []
        switch packing {
        case .base3:
            if byte >= 243 { return nil }
            var rest = Int(byte)
            for _ in 0..<5 {
                trits.append(trit(rest % 3))
                rest /= 3
            }
        case .twoBit:
            for i in 0..<4 {
                let field = (Int(byte) >> (2 * i)) & 3
                if field == 3 { return nil }
                trits.append(trit(field))
            }
        }
        return trits
    }

    /// One byte from up to tritsPerByte trits; missing (padding) trits are zero (4.4).
    static func encode(_ trits: [Int8], _ packing: TritPacking) -> UInt8 {
        var code = 0
        for (i, t) in trits.enumerated() {
            switch packing {
            case .base3: code += digit(t) * [1, 3, 9, 27, 81][i]
            case .twoBit: code |= digit(t) << (2 * i)
            }
        }
        return UInt8(code)
    }

    /// A row of `count` trits from ceil(count / tritsPerByte) bytes (every byte must be
    /// valid; padding trits ignored). Nil if a byte is invalid.
    static func unpackRow(_ bytes: ArraySlice<UInt8>, count: Int, _ packing: TritPacking) -> [Int8]? {
        var row: [Int8] = []
        for byte in bytes {
            guard let trits = decode(byte, packing) else { return nil }
            row += trits
        }
        return Array(row.prefix(count))
    }

    /// A row of trits packed into ceil(count / tritsPerByte) bytes.
    static func packRow(_ row: [Int8], _ packing: TritPacking) -> [UInt8] {
        let per = tritsPerByte(packing)
        return stride(from: 0, to: row.count, by: per).map { start in
            encode(Array(row[start..<min(start + per, row.count)]), packing)
        }
    }
}
