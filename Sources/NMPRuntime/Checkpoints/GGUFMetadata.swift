// GGUF header and metadata, as the GGUF specification (ggml-org/ggml docs/gguf.md, "File
// Structure") lays them out, little-endian:
//
//     uint32 magic "GGUF"; uint32 version; uint64 tensor_count; uint64 metadata_kv_count;
//     metadata_kv_count times: gguf_string key; uint32 value_type; value
//
// where gguf_string is uint64 length + UTF-8 bytes (no terminator), and an array value is
// uint32 element type + uint64 count + the elements (arrays may nest). The value type ids
// are gguf-py/gguf/constants.py `GGUFValueType` (UINT8 = 0 ... FLOAT64 = 12). Version 1
// used 32-bit counts and lengths; only 2 and 3 are read (3 only added big-endian files,
// which read as an unsupported version here since the version field is byte-swapped).

/// Why a GGUF file cannot be read: the file, the metadata key or tensor at fault (empty
/// when the problem is in the header or not about one) and what is wrong:
///
///     /m/model.gguf: tensor 'blk.0.attn_q.weight': type Q4_K is not one nmp decodes (F32, F16, BF16, Q8_0, TQ1_0, TQ2_0, I2_S)
public struct GGUFError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The path (or the name given to an in-memory file) of the file at fault.
    public let file: String
    /// The metadata key at fault; empty when the error is not about one.
    public let key: String
    /// The tensor at fault; empty when the error is not about one.
    public let tensor: String
    /// What is wrong and what was expected.
    public let message: String

    /// An error from its parts; a key or tensor name longer than 200 characters is cut
    /// (a hostile file may name one with megabytes).
    public init(file: String, key: String = "", tensor: String = "", message: String) {
        self.file = file
        self.key = GGUFError.clipped(key)
        self.tensor = GGUFError.clipped(tensor)
        self.message = message
    }

    /// `"file: key 'k': message"`, `"file: tensor 't': message"` or `"file: message"`.
    public var description: String {
        if !key.isEmpty { return "\(file): key '\(key)': \(message)" }
        if !tensor.isEmpty { return "\(file): tensor '\(tensor)': \(message)" }
        return "\(file): \(message)"
    }

    static func clipped(_ name: String) -> String {
        name.count <= 200 ? name : String(name.prefix(200)) + "..."
    }
}

/// The type of a GGUF metadata value (gguf-py constants.py `GGUFValueType`).
public enum GGUFValueType: UInt32, Sendable, CaseIterable {
    case uint8 = 0, int8 = 1, uint16 = 2, int16 = 3, uint32 = 4, int32 = 5, float32 = 6, bool = 7
    case string = 8, array = 9, uint64 = 10, int64 = 11, float64 = 12

    /// The fewest bytes a value of this type takes in the file: the check that a count
    /// read from the file fits in the bytes left, before anything is allocated for it.
    var minimumBytes: Int {
        switch self {
        case .uint8, .int8, .bool: 1
        case .uint16, .int16: 2
        case .uint32, .int32, .float32: 4
        case .uint64, .int64, .float64, .string: 8       // a string is at least its length
        case .array: 12                                  // element type + count
        }
    }
}

/// A GGUF metadata value.
public indirect enum GGUFValue: Equatable, Sendable {
    case uint8(UInt8), int8(Int8), uint16(UInt16), int16(Int16), uint32(UInt32), int32(Int32)
    case float32(Float), bool(Bool), string(String), uint64(UInt64), int64(Int64), float64(Double)
    /// An array: its element type and elements (each of that type; arrays may nest).
    case array(GGUFValueType, [GGUFValue])

    /// The value's type.
    public var type: GGUFValueType {
        switch self {
        case .uint8: .uint8
        case .int8: .int8
        case .uint16: .uint16
        case .int16: .int16
        case .uint32: .uint32
        case .int32: .int32
        case .float32: .float32
        case .bool: .bool
        case .string: .string
        case .uint64: .uint64
        case .int64: .int64
        case .float64: .float64
        case .array: .array
        }
    }

    /// An integer value of any width as an Int; nil for other types or a UInt64 above Int.max.
    public var int: Int? {
        switch self {
        case .uint8(let v): Int(v)
        case .int8(let v): Int(v)
        case .uint16(let v): Int(v)
        case .int16(let v): Int(v)
        case .uint32(let v): Int(v)
        case .int32(let v): Int(v)
        case .uint64(let v): Int(exactly: v)
        case .int64(let v): Int(v)
        default: nil
        }
    }

    /// A float32 or float64 value as a Double; nil for other types.
    public var double: Double? {
        switch self {
        case .float32(let v): Double(v)
        case .float64(let v): v
        default: nil
        }
    }

    /// A string value; nil for other types.
    public var string: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// An array of strings; nil for other values.
    public var strings: [String]? {
        guard case .array(.string, let items) = self else { return nil }
        return items.compactMap(\.string)
    }

    /// The elements of an array; nil for other values.
    public var array: [GGUFValue]? {
        if case .array(_, let items) = self { return items }
        return nil
    }
}

/// A bounds-checked little-endian reader over the file's bytes. Every read checks the
/// bytes left first, and every count read from the file is checked against them before
/// anything is sized by it. Errors name `key` or `tensor` as the caller has set them.
struct GGUFCursor {
    let bytes: UnsafeRawBufferPointer
    let file: String
    var offset = 0
    /// The metadata key or tensor being read, for errors.
    var key = ""
    var tensor = ""

    var remaining: Int { bytes.count - offset }

    func error(_ message: String) -> GGUFError {
        GGUFError(file: file, key: key, tensor: tensor, message: message)
    }

    /// The next `count` bytes.
    mutating func take(_ count: Int, _ what: String) throws(GGUFError) -> UnsafeRawBufferPointer {
        guard count >= 0, count <= remaining else {
            throw error("truncated: \(what) needs \(count) bytes at offset \(offset), \(remaining) left in the file")
        }
        defer { offset += count }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)])
    }

    mutating func u8(_ what: String) throws(GGUFError) -> UInt8 { try take(1, what)[0] }
    mutating func u16(_ what: String) throws(GGUFError) -> UInt16 {
        UInt16(littleEndian: try take(2, what).loadUnaligned(as: UInt16.self))
    }
    mutating func u32(_ what: String) throws(GGUFError) -> UInt32 {
        UInt32(littleEndian: try take(4, what).loadUnaligned(as: UInt32.self))
    }
    mutating func u64(_ what: String) throws(GGUFError) -> UInt64 {
        UInt64(littleEndian: try take(8, what).loadUnaligned(as: UInt64.self))
    }

    /// A uint64 count of items of at least `itemBytes` bytes each, checked to fit in the
    /// bytes left (so a hostile count never sizes an allocation).
    mutating func count(_ what: String, itemBytes: Int) throws(GGUFError) -> Int {
        let at = offset
        let raw = try u64(what)
        let (need, overflow) = raw.multipliedReportingOverflow(by: UInt64(itemBytes))
        guard !overflow, need <= UInt64(remaining) else {
            throw error("\(what) \(raw) at offset \(at) needs at least \(overflow ? "2^64" : String(need)) bytes, \(remaining) left in the file")
        }
        return Int(raw)
    }

    /// A gguf_string: uint64 length, then that many bytes of UTF-8.
    mutating func string(_ what: String) throws(GGUFError) -> String {
        let length = try count("\(what) length", itemBytes: 1)
        let at = offset
        let raw = try take(length, what)
        guard let text = String(validating: raw, as: UTF8.self) else {
            throw error("\(what) at offset \(at) is not UTF-8")
        }
        return text
    }

    /// Arrays nested deeper than this are refused: each level recurses, and a file of
    /// gigabytes could otherwise nest deep enough to overflow the stack.
    static let maxArrayDepth = 16

    /// A value of type `type`.
    mutating func value(_ type: GGUFValueType, depth: Int = 0) throws(GGUFError) -> GGUFValue {
        switch type {
        case .uint8: return .uint8(try u8("uint8 value"))
        case .int8: return .int8(Int8(bitPattern: try u8("int8 value")))
        case .uint16: return .uint16(try u16("uint16 value"))
        case .int16: return .int16(Int16(bitPattern: try u16("int16 value")))
        case .uint32: return .uint32(try u32("uint32 value"))
        case .int32: return .int32(Int32(bitPattern: try u32("int32 value")))
        case .float32: return .float32(Float(bitPattern: try u32("float32 value")))
        case .uint64: return .uint64(try u64("uint64 value"))
        case .int64: return .int64(Int64(bitPattern: try u64("int64 value")))
        case .float64: return .float64(Double(bitPattern: try u64("float64 value")))
        case .bool:
            let at = offset
            let byte = try u8("bool value")
            // gguf-py packs a bool as one byte "?" (0 or 1); anything else is corruption.
            guard byte <= 1 else { throw error("bool value \(byte) at offset \(at) is neither 0 nor 1") }
            return .bool(byte == 1)
        case .string: return .string(try string("string value"))
        case .array:
            guard depth < Self.maxArrayDepth else {
                throw error("arrays nested deeper than \(Self.maxArrayDepth) levels at offset \(offset)")
            }
            let at = offset
            let rawType = try u32("array element type")
            guard let element = GGUFValueType(rawValue: rawType) else {
                throw error("array element type \(rawType) at offset \(at) is not a GGUF value type (0...12)")
            }
            let n = try count("array length", itemBytes: element.minimumBytes)
            var items: [GGUFValue] = []
            items.reserveCapacity(n)
            for _ in 0..<n { items.append(try value(element, depth: depth + 1)) }
            return .array(element, items)
        }
    }
}
