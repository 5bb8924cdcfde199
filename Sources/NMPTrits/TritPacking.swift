/// How trits are laid out in bytes in the weight SRAM.
///
/// Both layouts store trit i of a group in a fixed position of the byte so that a
/// partial last group can be padded with zero trits, and both reserve some byte values
/// as invalid so that corrupted or misaligned weight images are detected on load.
public enum TritPacking: String, CaseIterable, Sendable, Codable {
    /// 5 trits per byte, base 3: byte = sum_{i=0..<5} d(t_i) * 3^i, where trit i is the
    /// i-th trit of the group (the first trit is the least-significant base-3 digit) and
    /// the digit d(t) = t mod 3 maps 0, +1, -1 to 0, 1, 2. Byte 0 is five zero trits, so
    /// zeroed memory and zero padding hold zero weights (skips), never -1s.
    /// Codes 0...242 are valid, 243...255 invalid. 1.6 bits per trit.
    case base3
    /// 4 trits per byte, 2 bits each: bits 2i...2i+1 hold d(t_i) = t_i mod 3, so bit 2i
    /// set means +1 (add) and bit 2i+1 set means -1 (subtract); the field value 0b11 is
    /// invalid. 2 bits per trit, but decoding is a shift and a mask.
    case twoBit = "2bit"

    /// Trits per byte: 5 for `.base3`, 4 for `.twoBit`.
    public var tritsPerByte: Int {
        switch self {
        case .base3: 5
        case .twoBit: 4
        }
    }

    /// Bits of storage per trit: 8/5 = 1.6 for `.base3`, 2.0 for `.twoBit`.
    public var bitsPerTrit: Double { 8.0 / Double(tritsPerByte) }

    /// Bytes needed for `count` trits: ceil(count / tritsPerByte); 0 for 0.
    /// - Precondition: `count >= 0`.
    public func byteCount(forTrits count: Int) -> Int {
        precondition(count >= 0, "trit count must not be negative")
        return (count + tritsPerByte - 1) / tritsPerByte
    }

    /// Packs `trits` into `byteCount(forTrits: trits.count)` bytes. A last partial byte
    /// is padded with zero trits (digit 0 in both layouts), which keeps every emitted byte
    /// a valid code.
    public func pack(_ trits: [Trit]) -> [UInt8] {
        let perByte = tritsPerByte
        var bytes: [UInt8] = []
        bytes.reserveCapacity(byteCount(forTrits: trits.count))
        var start = 0
        while start < trits.count {
            let end = min(start + perByte, trits.count)
            // Digit t mod 3 of position i in this group; 0 (a zero trit) past the end.
            func digit(_ i: Int) -> Int {
                start + i < end ? Self.digit(trits[start + i]) : 0
            }
            var code = 0
            switch self {
            case .base3:
                // Horner's rule from the most significant digit (trit 4) down to trit 0.
                for i in stride(from: perByte - 1, through: 0, by: -1) {
                    code = code * 3 + digit(i)
                }
            case .twoBit:
                for i in 0..<perByte {
                    code |= digit(i) << (2 * i)
                }
            }
            bytes.append(UInt8(code))
            start = end
        }
        return bytes
    }

    /// Unpacks `count` trits from the first `byteCount(forTrits: count)` bytes; any later
    /// bytes are not read. Padding trits of a partial last byte are ignored, but every
    /// byte read must be a valid code, because an invalid one means the image is corrupt.
    ///
    /// - Throws: `TritPackingError.tooFewBytes` if `bytes` is shorter than needed (checked
    ///   first), otherwise `TritPackingError.invalidCode` for the first invalid byte.
    /// - Precondition: `count >= 0`.
    public func unpack<C: Collection>(
        _ bytes: C, count: Int
    ) throws(TritPackingError) -> [Trit] where C.Element == UInt8 {
        let needed = byteCount(forTrits: count)
        // prefix keeps the length check O(needed) even for a huge non-random-access source.
        let window = bytes.prefix(needed)
        let available = window.count
        guard available >= needed else {
            throw .tooFewBytes(needed: needed, available: available, layout: self)
        }
        var trits: [Trit] = []
        trits.reserveCapacity(count)
        for (byteIndex, byte) in window.enumerated() {
            var fields = fieldEntry(for: byte)
            guard fields & Self.validFlag != 0 else {
                throw .invalidCode(byteIndex: byteIndex, byte: byte, layout: self)
            }
            for _ in 0..<min(tritsPerByte, count - trits.count) {
                trits.append(Self.trit(field: fields))
                fields >>= 2
            }
        }
        return trits
    }

    /// Decodes one byte into its `tritsPerByte` trits (trit 0 first), including any
    /// padding trits; nil if the byte is not a valid code in this layout.
    public func decode(byte: UInt8) -> [Trit]? {
        var fields = fieldEntry(for: byte)
        guard fields & Self.validFlag != 0 else { return nil }
        var trits: [Trit] = []
        trits.reserveCapacity(tritsPerByte)
        for _ in 0..<tritsPerByte {
            trits.append(Self.trit(field: fields))
            fields >>= 2
        }
        return trits
    }

    /// Whether `byte` is a valid code in this layout.
    public func isValid(byte: UInt8) -> Bool {
        fieldEntry(for: byte) & Self.validFlag != 0
    }
}

// MARK: - Shared decoding representation

extension TritPacking {
    /// Set in a field entry when the byte is a valid code; entries for invalid bytes are 0.
    static let validFlag: UInt16 = 0x8000

    /// Base-3 decode table: for every byte, the 2-bit fields d(t_i) at bits 2i...2i+1
    /// plus `validFlag`. Converting base 3 to the 2-bit form once means both layouts
    /// share one shift-and-mask decoder, and decoding never divides.
    static let base3FieldTable: [UInt16] = (0...255).map { byte -> UInt16 in
        guard byte < 243 else { return 0 }
        var rest = byte
        var entry = validFlag
        for i in 0..<5 {
            entry |= UInt16(rest % 3) << (2 * i)
            rest /= 3
        }
        return entry
    }

    /// The field entry of `byte` in this layout (see `base3FieldTable`).
    @inline(__always)
    func fieldEntry(for byte: UInt8) -> UInt16 {
        switch self {
        case .base3: Self.base3FieldTable[Int(byte)]
        case .twoBit: Self.twoBitEntry(byte)
        }
    }

    /// A 2-bit byte is already in field form; it is valid iff no field is 0b11, i.e. no
    /// field has both its high and its low bit set.
    @inline(__always)
    static func twoBitEntry(_ byte: UInt8) -> UInt16 {
        byte & (byte >> 1) & 0b0101_0101 == 0 ? UInt16(byte) | validFlag : 0
    }

    /// The digit that encodes `trit`: t mod 3, so 0 -> 0, +1 -> 1, -1 -> 2.
    @inline(__always)
    static func digit(_ trit: Trit) -> Int {
        trit == .minus ? 2 : Int(trit.rawValue)
    }

    /// The value (-1, 0, +1) of the low 2-bit field of `fields` (which must not be 0b11):
    /// bit 0 adds one, bit 1 subtracts one.
    @inline(__always)
    static func value(field fields: UInt16) -> Int8 {
        Int8(truncatingIfNeeded: fields & 1) - Int8(truncatingIfNeeded: (fields >> 1) & 1)
    }

    /// The trit held in the low 2-bit field of `fields` (which must not be 0b11).
    @inline(__always)
    static func trit(field fields: UInt16) -> Trit {
        Trit(rawValue: value(field: fields))!
    }

    /// A short human name used in diagnostics.
    var displayName: String {
        switch self {
        case .base3: "base-3"
        case .twoBit: "2-bit"
        }
    }
}

// MARK: - Allocation-free fast path

extension TritPacking {
    /// Packs `count` trits given as Int8 values (-1/0/+1) into the
    /// `byteCount(forTrits: count)` bytes at `destination`, like `pack(_:)` (a last partial
    /// byte is padded with zero trits), without allocating: the simulator's `stt` and the
    /// compiler's weight packer use it.
    /// Values above 0 pack as +1 and below 0 as -1, so every byte written is a valid code.
    public func pack(_ values: UnsafePointer<Int8>, count: Int, into destination: UnsafeMutablePointer<UInt8>) {
        let perByte = tritsPerByte
        for j in 0..<byteCount(forTrits: count) {
            let first = j * perByte
            var code = 0
            // From the group's last trit down to its first (trit 0 is the least significant
            // base-3 digit); positions past `count` are zero digits and change nothing.
            var i = min(first + perByte, count) - 1
            while i >= first {
                let digit = values[i] < 0 ? 2 : (values[i] > 0 ? 1 : 0)
                code = self == .base3 ? code * 3 + digit : code | digit << (2 * (i - first))
                i -= 1
            }
            destination[j] = UInt8(code)
        }
    }

    /// Unpacks `count` trits as Int8 values (-1/0/+1) into `destination[0..<count]`,
    /// for the simulator's hot weight-load path: no allocation, no throwing.
    ///
    /// Returns false if `bytes` is shorter than `byteCount(forTrits: count)` or any byte
    /// read is invalid; the contents of `destination` are then unspecified. Bytes past
    /// the needed ones are not read, as in `unpack(_:count:)`.
    /// - Precondition: `count >= 0` and `destination.count >= count`.
    public func unpack(
        _ bytes: UnsafeBufferPointer<UInt8>, count: Int,
        into destination: UnsafeMutableBufferPointer<Int8>
    ) -> Bool {
        precondition(destination.count >= count, "destination has room for fewer than count trits")
        guard bytes.count >= byteCount(forTrits: count) else { return false }
        switch self {
        case .base3:
            return Self.base3FieldTable.withUnsafeBufferPointer { table in
                Self.expand(bytes, count: count, perByte: 5, into: destination) { table[Int($0)] }
            }
        case .twoBit:
            return Self.expand(bytes, count: count, perByte: 4, into: destination, entry: Self.twoBitEntry)
        }
    }

    /// The layout-independent loop of the fast path; `entry` maps a byte to its field entry.
    @inline(__always)
    private static func expand(
        _ bytes: UnsafeBufferPointer<UInt8>, count: Int, perByte: Int,
        into destination: UnsafeMutableBufferPointer<Int8>, entry: (UInt8) -> UInt16
    ) -> Bool {
        var written = 0
        var byteIndex = 0
        while written < count {
            var fields = entry(bytes[byteIndex])
            guard fields & validFlag != 0 else { return false }
            for k in 0..<min(perByte, count - written) {
                destination[written + k] = value(field: fields)
                fields >>= 2
            }
            written += perByte
            byteIndex += 1
        }
        return true
    }
}

// MARK: - Errors

/// Why packed trits could not be unpacked. Each case names the layout so the message
/// can say which codes would have been valid.
public enum TritPackingError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The byte at `byteIndex` (0-based, from the start of the input) is not a valid code.
    case invalidCode(byteIndex: Int, byte: UInt8, layout: TritPacking)
    /// `needed` bytes are required for the requested trit count but only `available` exist.
    case tooFewBytes(needed: Int, available: Int, layout: TritPacking)

    /// A one-line diagnostic, e.g. "byte 3 (0xF5) is not a valid base-3 trit code
    /// (valid codes are 0...242)".
    public var description: String {
        switch self {
        case let .invalidCode(byteIndex, byte, layout):
            let prefix = "byte \(byteIndex) (\(Self.hex(byte))) is not a valid \(layout.displayName) trit code"
            switch layout {
            case .base3:
                return prefix + " (valid codes are 0...242)"
            case .twoBit:
                // Name the offending field so a user can tell which trit slot is corrupt.
                let field: Int = (0..<4).first(where: { (byte >> (2 * $0)) & 0b11 == 0b11 }) ?? 0
                return prefix + " (field \(field), bits \(2 * field)...\(2 * field + 1), is 0b11;"
                    + " each 2-bit field must be 0b00, 0b01 or 0b10)"
            }
        case let .tooFewBytes(needed, available, layout):
            return "too few bytes for \(layout.displayName) packed trits:"
                + " need \(needed), but only \(available) available"
        }
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = String(byte, radix: 16, uppercase: true)
        return "0x" + (digits.count < 2 ? "0" + digits : digits)
    }
}
