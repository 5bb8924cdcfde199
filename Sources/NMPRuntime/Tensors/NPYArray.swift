/// The element types nmp reads from and writes to `.npy` files. The raw value is the
/// dtype descriptor numpy writes in a header's `'descr'` (numpy's `dtype.str`): explicit
/// little-endian for multi-byte types, `|` (byte order irrelevant) for `int8`.
///
/// On read, `'<i1'`, `'i1'`, `'=i1'` and `'>i1'` are accepted as `int8` as well (for one
/// byte the byte order means nothing); every big-endian multi-byte dtype is rejected.
public enum NPYDType: String, Sendable, CaseIterable {
    case float32 = "<f4"
    case float16 = "<f2"
    /// Read, and converted to float32 where a command needs floats (`floats()`); NumPy's
    /// default float type, so files saved without a dtype are float64.
    case float64 = "<f8"
    case int8 = "|i1"
    case int32 = "<i4"

    /// Bytes per element.
    public var itemSize: Int {
        switch self {
        case .float64: 8
        case .float32, .int32: 4
        case .float16: 2
        case .int8: 1
        }
    }

    /// True for the floating-point types.
    public var isFloat: Bool { self == .float32 || self == .float16 || self == .float64 }

    /// numpy's name of the type (`"float32"`), as used in messages.
    public var name: String {
        switch self {
        case .float32: "float32"
        case .float16: "float16"
        case .float64: "float64"
        case .int8: "int8"
        case .int32: "int32"
        }
    }
}

/// One array as a `.npy` file holds it: a dtype, a shape and the element bytes.
///
/// `data` holds the elements in C order (last index fastest), each little-endian, exactly
/// as they follow the header in the file. A shape of `[]` is a scalar (one element); a
/// shape with a 0 in it is empty.
public struct NPYArray: Sendable, Equatable {
    /// The element type.
    public var dtype: NPYDType
    /// The extent of each axis, outermost first. `[]` for a scalar.
    public var shape: [Int]
    /// `count * dtype.itemSize` bytes: the little-endian elements in C order.
    public var data: [UInt8]

    /// An array from its raw element bytes.
    ///
    /// - Precondition: every shape entry is non-negative and
    ///   `data.count == product(shape) * dtype.itemSize` (without overflow).
    public init(dtype: NPYDType, shape: [Int], data: [UInt8]) {
        let bytes = NPYArray.byteCount(shape: shape, itemSize: dtype.itemSize)
        precondition(bytes != nil, "NPYArray: shape \(shape) has a negative entry or its byte size overflows Int")
        precondition(data.count == bytes, "NPYArray: shape \(shape) of \(dtype.name) needs \(bytes ?? -1) bytes, data has \(data.count)")
        self.dtype = dtype
        self.shape = shape
        self.data = data
    }

    /// A float32 array. - Precondition: `values.count == product(shape)`.
    public static func float32(_ values: [Float], shape: [Int]) -> NPYArray {
        var data: [UInt8] = []
        data.reserveCapacity(values.count * 4)
        for value in values { appendLittleEndian(value.bitPattern, to: &data) }
        return NPYArray(dtype: .float32, shape: shape, data: data)
    }

    /// A float16 array from the IEEE 754 binary16 bit patterns of its elements.
    /// - Precondition: `bitPatterns.count == product(shape)`.
    public static func float16(bitPatterns: [UInt16], shape: [Int]) -> NPYArray {
        var data: [UInt8] = []
        data.reserveCapacity(bitPatterns.count * 2)
        for bits in bitPatterns { appendLittleEndian(bits, to: &data) }
        return NPYArray(dtype: .float16, shape: shape, data: data)
    }

    /// A float64 array from the IEEE 754 binary64 bit patterns of its elements.
    /// - Precondition: `bitPatterns.count == product(shape)`.
    public static func float64(bitPatterns: [UInt64], shape: [Int]) -> NPYArray {
        var data: [UInt8] = []
        data.reserveCapacity(bitPatterns.count * 8)
        for bits in bitPatterns { appendLittleEndian(bits, to: &data) }
        return NPYArray(dtype: .float64, shape: shape, data: data)
    }

    /// An int8 array. - Precondition: `values.count == product(shape)`.
    public static func int8(_ values: [Int8], shape: [Int]) -> NPYArray {
        NPYArray(dtype: .int8, shape: shape, data: values.map { UInt8(bitPattern: $0) })
    }

    /// An int32 array. - Precondition: `values.count == product(shape)`.
    public static func int32(_ values: [Int32], shape: [Int]) -> NPYArray {
        var data: [UInt8] = []
        data.reserveCapacity(values.count * 4)
        for value in values { appendLittleEndian(UInt32(bitPattern: value), to: &data) }
        return NPYArray(dtype: .int32, shape: shape, data: data)
    }

    /// The number of elements: the product of `shape` (1 for a scalar, 0 when empty).
    public var count: Int { data.count / dtype.itemSize }

    /// The elements as `Float`, in C order: float32 as stored; float16 converted exactly
    /// (every binary16 value, subnormals included, is a `Float`; infinities stay
    /// infinite, NaNs stay NaN with their sign and payload); float64 rounded to the nearest
    /// `Float`, ties to even, as NumPy's `astype(np.float32)` (beyond the float32 range:
    /// infinite); int8 and int32 converted (int32 values beyond 2^24 round to the nearest
    /// `Float`).
    public func floats() -> [Float] {
        let n = count
        var result: [Float] = []
        result.reserveCapacity(n)
        switch dtype {
        case .float32:
            for i in 0..<n { result.append(Float(bitPattern: NPYArray.uint32(data, at: 4 * i))) }
        case .float16:
            for i in 0..<n { result.append(NPYArray.float(fromHalfBits: NPYArray.uint16(data, at: 2 * i))) }
        case .float64:
            for i in 0..<n {
                let bits = UInt64(NPYArray.uint32(data, at: 8 * i)) | UInt64(NPYArray.uint32(data, at: 8 * i + 4)) << 32
                result.append(Float(Double(bitPattern: bits)))
            }
        case .int8:
            for i in 0..<n { result.append(Float(Int8(bitPattern: data[i]))) }
        case .int32:
            for i in 0..<n { result.append(Float(Int32(bitPattern: NPYArray.uint32(data, at: 4 * i)))) }
        }
        return result
    }

    /// The elements of an int8 array, in C order; `nil` for any other dtype.
    public func int8s() -> [Int8]? {
        guard dtype == .int8 else { return nil }
        return data.map { Int8(bitPattern: $0) }
    }

    /// The elements of an int32 array, in C order; `nil` for any other dtype.
    public func int32s() -> [Int32]? {
        guard dtype == .int32 else { return nil }
        return (0..<count).map { Int32(bitPattern: NPYArray.uint32(data, at: 4 * $0)) }
    }

    /// The binary16 bit patterns of a float16 array, in C order; `nil` for any other dtype.
    public func float16BitPatterns() -> [UInt16]? {
        guard dtype == .float16 else { return nil }
        return (0..<count).map { NPYArray.uint16(data, at: 2 * $0) }
    }

    // MARK: - Helpers

    /// `product(shape) * itemSize`, or nil when an entry is negative or the product of the
    /// non-zero extents overflows `Int` (as numpy, which rejects (0, 2^63 - 1) just like
    /// (2^63 - 1, 0): the answer must not depend on the order of the axes).
    static func byteCount(shape: [Int], itemSize: Int) -> Int? {
        var total = itemSize
        var empty = false
        for extent in shape {
            guard extent >= 0 else { return nil }
            if extent == 0 { empty = true; continue }
            let (product, overflow) = total.multipliedReportingOverflow(by: extent)
            guard !overflow else { return nil }
            total = product
        }
        return empty ? 0 : total
    }

    /// The `Float` with the same value as the IEEE 754 binary16 number `bits`: exact for
    /// every pattern (each half is a float). NaN payloads are kept bit for bit (shifted
    /// into the top of the float's mantissa), so a signalling NaN stays signalling.
    static func float(fromHalfBits bits: UInt16) -> Float {
        let sign = UInt32(bits & 0x8000) << 16
        let exponent = Int((bits >> 10) & 0x1F)
        let mantissa = UInt32(bits & 0x03FF)
        switch exponent {
        case 0:
            // Zero or subnormal: mantissa * 2^-24, exact in Float (10 bits, power-of-two scale).
            let magnitude = Float(mantissa) * 0x1p-24
            return sign == 0 ? magnitude : -magnitude
        case 0x1F:
            // Infinity (mantissa 0) or NaN (payload kept).
            return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        default:
            // Normal: rebias the exponent from 15 to 127, widen the mantissa from 10 to 23 bits.
            return Float(bitPattern: sign | (UInt32(exponent - 15 + 127) << 23) | (mantissa << 13))
        }
    }

    static func uint16(_ bytes: [UInt8], at offset: Int) -> UInt16 {
        UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
    }

    static func uint32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
    }

    static func appendLittleEndian<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        var v = value.littleEndian
        withUnsafeBytes(of: &v) { bytes.append(contentsOf: $0) }
    }
}
