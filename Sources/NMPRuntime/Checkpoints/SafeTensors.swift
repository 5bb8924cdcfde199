import Foundation
import NMPJSON
import NMPSupport

// A reader of the safetensors format (huggingface/safetensors, README.md, "Format"):
//
//     8 bytes      N, an unsigned little-endian 64-bit integer: the size of the header
//     N bytes      a UTF-8 JSON object, starting with '{' and possibly padded with spaces:
//                  {"name": {"dtype": "F16", "shape": [1, 16, 256], "data_offsets": [BEGIN, END]}, ...}
//                  and an optional "__metadata__" object of string -> string
//     rest         the byte buffer; BEGIN and END are relative to its start
//
// The README also requires the buffer to be "entirely indexed" with no holes ("This
// prevents the creation of polyglot files"), and the reference implementation
// (safetensors/src/tensor.rs, `Metadata::validate`) checks exactly that: sorted by offset,
// each tensor starts where the previous one ends and the last ends at the end of the
// buffer. It caps the header at 100,000,000 bytes (`MAX_HEADER_SIZE`); so does this reader.
// The file is memory-mapped and a tensor's bytes are copied out only when asked for, so a
// multi-gigabyte checkpoint costs the pages of the tensors read, not its size.

/// Why a safetensors file cannot be read: the file, the tensor at fault (empty for the
/// file's framing), the header field at fault (`header length`, `dtype`, `data_offsets`...;
/// empty when the tensor as a whole is at fault) and what was expected:
///
///     /m/model.safetensors: tensor 'lm_head.weight': field 'data_offsets': [64, 80] hold 16 bytes, expected 20 (shape [5, 2] of F16, 2 bytes each)
public struct SafeTensorsError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The path of the file at fault.
    public let file: String
    /// The name of the tensor at fault; empty when the error is not about one.
    public let tensor: String
    /// The header field at fault; empty when the error is not about one.
    public let field: String
    /// What is wrong and what was expected.
    public let message: String

    /// An error from its parts.
    public init(file: String, tensor: String = "", field: String = "", message: String) {
        self.file = file
        self.tensor = tensor
        self.field = field
        self.message = message
    }

    /// `"file: tensor 'name': field 'f': message"`, leaving out the empty parts.
    public var description: String {
        var text = file + ": "
        if !tensor.isEmpty { text += "tensor '\(tensor)': " }
        if !field.isEmpty { text += "field '\(field)': " }
        return text + message
    }
}

/// The element types this reader accepts (the names are the format's, README "dtype").
public enum SafeTensorsDType: String, Sendable, CaseIterable {
    case u8 = "U8", i8 = "I8", bf16 = "BF16", f16 = "F16", f32 = "F32"

    /// Bytes per element.
    public var itemSize: Int {
        switch self {
        case .u8, .i8: return 1
        case .bf16, .f16: return 2
        case .f32: return 4
        }
    }

    /// Whether its elements are floating point.
    public var isFloat: Bool { self == .bf16 || self == .f16 || self == .f32 }
}

/// One tensor's entry in the header.
public struct SafeTensorInfo: Sendable, Equatable {
    /// The tensor's name (the header's key).
    public let name: String
    public let dtype: SafeTensorsDType
    /// The dimensions, outermost first; `[]` is a scalar.
    public let shape: [Int]
    /// `data_offsets`: the tensor's bytes, relative to the start of the data buffer.
    public let offsets: Range<Int>

    /// The number of elements (the product of `shape`; checked not to overflow on reading).
    public var count: Int { shape.reduce(1, *) }
}

/// A safetensors file: its header parsed and checked, its bytes mapped, tensors read on
/// demand by name.
public struct SafeTensorsFile: @unchecked Sendable {
    /// The largest header accepted (the reference implementation's `MAX_HEADER_SIZE`).
    public static let maxHeaderSize = 100_000_000

    /// The path errors name.
    public let path: String
    /// The header's `__metadata__` (empty when absent).
    public let metadata: [String: String]
    /// Every tensor of the header, by name.
    public let tensors: [String: SafeTensorInfo]
    /// The whole file (memory-mapped when read by `init(path:)`).
    let bytes: Data
    /// Where the data buffer starts in `bytes` (8 + N).
    let dataStart: Int

    /// The tensor names, sorted.
    public var names: [String] { tensors.keys.sorted() }

    /// Maps the file at `path` and checks its header (see `init(bytes:path:)`). Throws for a
    /// missing or unreadable file.
    public init(path: String) throws(SafeTensorsError) {
        let data: Data
        do {
            // An empty file is not handed to Data(contentsOf:), which leaks its read buffer
            // for one (found by fuzz/FuzzSafeTensors.swift); it fails the header check below.
            if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int, size == 0 {
                data = Data()
            } else {
                // Mapped, not read: a checkpoint's tensors are paged in only when read.
                data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
            }
        } catch {
            let missing = !FileManager.default.fileExists(atPath: path)
            throw SafeTensorsError(file: path, message: missing ? "missing file" : "cannot be read")
        }
        try self.init(bytes: data, path: path)
    }

    /// Checks the framing and header of a safetensors file held in `bytes`; `path` is what
    /// errors name. Checked: the file holds the 8-byte header length N, N is at most the
    /// bytes after it and at most `maxHeaderSize`; the header starts with `{` and is
    /// strict JSON (errors give line and column) of an object whose keys are unique; each
    /// tensor has exactly `dtype` (one of `SafeTensorsDType`), `shape` (non-negative
    /// integers) and `data_offsets` ([begin, end], begin <= end <= the data buffer's size,
    /// end - begin = product(shape) * item size, computed without overflow); the tensors
    /// cover the data buffer without overlaps or holes; `__metadata__` maps strings to
    /// strings. Never traps.
    public init(bytes: Data, path: String) throws(SafeTensorsError) {
        func fail(_ tensor: String = "", _ field: String = "", _ message: String) -> SafeTensorsError {
            SafeTensorsError(file: path, tensor: tensor, field: field, message: message)
        }
        let size = bytes.count
        guard size >= 8 else { throw fail("", "header length", "file of \(size) bytes is too short for the 8-byte header length") }
        let base = bytes.startIndex
        var n: UInt64 = 0
        for i in 0..<8 { n |= UInt64(bytes[base + i]) << (8 * UInt64(i)) }
        guard n <= UInt64(size - 8) else {
            throw fail("", "header length", "\(n) bytes, but only \(size - 8) follow the header length (truncated file?)")
        }
        guard n <= UInt64(Self.maxHeaderSize) else {
            throw fail("", "header length", "\(n) bytes is more than the \(Self.maxHeaderSize) allowed")
        }
        let headerSize = Int(n)
        let header = [UInt8](bytes[(base + 8)..<(base + 8 + headerSize)])
        guard header.first == UInt8(ascii: "{") else {
            throw fail("", "header", "must start with '{' (README: the header is a JSON object)")
        }
        let json: StrictJSON
        do {
            // Shallow by format: object -> tensor object -> shape array.
            json = try StrictJSON.parse(header, maxDepth: 8)
        } catch {
            throw fail("", "header", "malformed JSON at line \(error.line), column \(error.column): \(error.message)")
        }
        guard case .object(let entries) = json else { throw fail("", "header", "is \(json.summary), expected an object") }

        let dataSize = size - 8 - headerSize
        var metadata: [String: String] = [:]
        var tensors: [String: SafeTensorInfo] = [:]
        var seen = Set<String>()
        for (name, value) in entries {
            let quoted = Self.quoted(name)
            guard seen.insert(name).inserted else { throw fail(quoted, "", "appears twice in the header") }
            if name == "__metadata__" {
                guard case .object(let pairs) = value else { throw fail("", "__metadata__", "is \(value.summary), expected an object of strings") }
                for (key, item) in pairs {
                    guard case .string(let text) = item else {
                        throw fail("", "__metadata__", "key '\(StrictJSON.shortened(key))' maps to \(item.summary), expected a string")
                    }
                    guard metadata.updateValue(text, forKey: key) == nil else {
                        throw fail("", "__metadata__", "key '\(StrictJSON.shortened(key))' appears twice")
                    }
                }
                continue
            }
            tensors[name] = try Self.entry(quoted, name: name, value, dataSize: dataSize, fail: fail)
        }

        // The buffer is entirely indexed (README; tensor.rs `validate`): sorted by offset,
        // each tensor begins where the previous ended, the last ends at the buffer's end.
        // Zero-sized tensors sort before a tensor at the same offset, so they never overlap.
        let ordered = tensors.values.sorted {
            ($0.offsets.lowerBound, $0.offsets.upperBound, $0.name) < ($1.offsets.lowerBound, $1.offsets.upperBound, $1.name)
        }
        var end = 0
        var previous = ""
        for info in ordered {
            let begin = info.offsets.lowerBound
            if begin < end {
                throw fail(Self.quoted(info.name), "data_offsets",
                           "[\(begin), \(info.offsets.upperBound)] overlaps tensor '\(Self.quoted(previous))' (which ends at \(end))")
            }
            if begin > end {
                throw fail(Self.quoted(info.name), "data_offsets",
                           "begins at \(begin), leaving bytes \(end) ..< \(begin) of the data buffer to no tensor (the buffer must be entirely indexed)")
            }
            end = info.offsets.upperBound
            previous = info.name
        }
        guard end == dataSize else {
            throw fail("", "data_offsets", "the tensors end at byte \(end) of the data buffer, which holds \(dataSize) bytes (trailing bytes belong to no tensor)")
        }
        self.path = path
        self.metadata = metadata
        self.tensors = tensors
        self.bytes = bytes
        self.dataStart = 8 + headerSize
    }

    /// A tensor name as errors quote it: whole up to 100 Unicode scalars (checkpoint names
    /// run to about 60, more than `StrictJSON.quotedLength`), so that an error stays short
    /// whatever the header holds.
    static func quoted(_ name: String) -> String { Quoted.text(name, limit: 100) }

    /// One tensor's entry, checked against a data buffer of `dataSize` bytes.
    private static func entry(_ quoted: String, name: String, _ value: StrictJSON, dataSize: Int,
                              fail: (String, String, String) -> SafeTensorsError) throws(SafeTensorsError) -> SafeTensorInfo {
        guard case .object(let fields) = value else { throw fail(quoted, "", "is \(value.summary), expected an object with dtype, shape and data_offsets") }
        var dtypeValue: StrictJSON?, shapeValue: StrictJSON?, offsetsValue: StrictJSON?
        for (key, item) in fields {
            switch key {
            case "dtype" where dtypeValue == nil: dtypeValue = item
            case "shape" where shapeValue == nil: shapeValue = item
            case "data_offsets" where offsetsValue == nil: offsetsValue = item
            case "dtype", "shape", "data_offsets": throw fail(quoted, key, "appears twice")
            default: throw fail(quoted, StrictJSON.shortened(key), "unknown field (expected dtype, shape and data_offsets)")
            }
        }
        guard let dtypeValue else { throw fail(quoted, "dtype", "missing") }
        guard let shapeValue else { throw fail(quoted, "shape", "missing") }
        guard let offsetsValue else { throw fail(quoted, "data_offsets", "missing") }

        guard case .string(let dtypeName) = dtypeValue else { throw fail(quoted, "dtype", "is \(dtypeValue.summary), expected a string") }
        guard let dtype = SafeTensorsDType(rawValue: dtypeName) else {
            let supported = SafeTensorsDType.allCases.map(\.rawValue).joined(separator: ", ")
            throw fail(quoted, "dtype", "'\(StrictJSON.shortened(dtypeName))' is not supported (supported: \(supported))")
        }

        guard case .array(let dims) = shapeValue else { throw fail(quoted, "shape", "is \(shapeValue.summary), expected an array of integers") }
        var shape: [Int] = []
        var count = 1
        for dim in dims {
            guard case .success(let d) = dim.integer(), d >= 0 else {
                throw fail(quoted, "shape", "dimension \(dim.summary) is not a non-negative integer")
            }
            shape.append(d)
            let (product, overflow) = count.multipliedReportingOverflow(by: d)
            // An overflowing product is only an error if the tensor is not empty.
            count = overflow ? Int.max : product
        }
        if shape.contains(0) { count = 0 }

        guard case .array(let pair) = offsetsValue, pair.count == 2 else {
            throw fail(quoted, "data_offsets", "is \(offsetsValue.summary), expected [begin, end]")
        }
        guard case .success(let begin) = pair[0].integer(), begin >= 0,
              case .success(let end) = pair[1].integer(), end >= 0 else {
            throw fail(quoted, "data_offsets", "[\(pair[0].summary), \(pair[1].summary)] are not non-negative integers")
        }
        guard begin <= end else { throw fail(quoted, "data_offsets", "[\(begin), \(end)]: begin is after end") }
        guard end <= dataSize else {
            throw fail(quoted, "data_offsets", "[\(begin), \(end)] reach beyond the data buffer of \(dataSize) bytes")
        }
        let (expected, overflow) = count.multipliedReportingOverflow(by: dtype.itemSize)
        guard count != Int.max, !overflow, expected == end - begin else {
            let need = count == Int.max || overflow ? "more than 2^63" : "\(expected)"
            throw fail(quoted, "data_offsets", "[\(begin), \(end)] hold \(end - begin) bytes, expected \(need) (shape \(shape) of \(dtype.rawValue), \(dtype.itemSize) bytes each)")
        }
        return SafeTensorInfo(name: name, dtype: dtype, shape: shape, offsets: begin..<end)
    }

    /// The entry of the tensor `name`; throws naming it when the file has no such tensor.
    public func info(_ name: String) throws(SafeTensorsError) -> SafeTensorInfo {
        guard let info = tensors[name] else { throw SafeTensorsError(file: path, tensor: name, message: "missing tensor") }
        return info
    }

    /// The raw little-endian bytes of tensor `name` (a copy of its range of the file).
    public func data(_ name: String) throws(SafeTensorsError) -> [UInt8] {
        let info = try info(name)
        let start = bytes.startIndex + dataStart
        return [UInt8](bytes[(start + info.offsets.lowerBound)..<(start + info.offsets.upperBound)])
    }

    /// The elements of a U8 tensor.
    public func uint8s(_ name: String) throws(SafeTensorsError) -> [UInt8] {
        let info = try info(name)
        guard info.dtype == .u8 else { throw SafeTensorsError(file: path, tensor: name, field: "dtype", message: "\(info.dtype.rawValue), expected U8") }
        return try data(name)
    }

    /// The elements of a floating-point tensor (BF16, F16 or F32) as float32, exactly
    /// (every bf16 and f16 value is a float32 value).
    public func floats(_ name: String) throws(SafeTensorsError) -> [Float] {
        let info = try info(name)
        let raw = try data(name)
        switch info.dtype {
        case .bf16:
            return stride(from: 0, to: raw.count, by: 2).map { BFloat16.float(UInt16(raw[$0]) | UInt16(raw[$0 + 1]) << 8) }
        case .f16:
            return stride(from: 0, to: raw.count, by: 2).map { Self.half(UInt16(raw[$0]) | UInt16(raw[$0 + 1]) << 8) }
        case .f32:
            return stride(from: 0, to: raw.count, by: 4).map {
                Float(bitPattern: UInt32(raw[$0]) | UInt32(raw[$0 + 1]) << 8 | UInt32(raw[$0 + 2]) << 16 | UInt32(raw[$0 + 3]) << 24)
            }
        case .u8, .i8:
            throw SafeTensorsError(file: path, tensor: name, field: "dtype", message: "\(info.dtype.rawValue), expected BF16, F16 or F32")
        }
    }

    /// IEEE binary16 -> float32, exactly (done by hand: `Float16` is missing on x86 macOS).
    static func half(_ h: UInt16) -> Float {
        let sign: Float = h & 0x8000 != 0 ? -1 : 1
        let exponent = Int((h >> 10) & 0x1F)
        let fraction = Float(h & 0x3FF)
        switch exponent {
        case 0: return sign * fraction * 0x1p-24
        case 31: return fraction == 0 ? sign * .infinity : .nan
        default: return sign * (1 + fraction / 1024) * Float(sign: .plus, exponent: exponent - 15, significand: 1)
        }
    }
}
