import Foundation
import NMPTestSupport
import Testing
@testable import NMPRuntime

// Tests of the .npy reader and writer (Sources/NMPRuntime/Tensors/NPY*.swift).
//
// Format facts checked against numpy's own description and code (numpy 2.4.6,
// numpy/lib/_format_impl.py, and NEP 1): magic "\x93NUMPY"; major, minor version bytes;
// HEADER_LEN little-endian u16 (1.0) or u32 (2.0, 3.0); header latin-1 (1.0, 2.0) or UTF-8
// (3.0); `padlen = 64 - ((magic 8 + length field + len(header) + 1) % 64)` spaces, then
// '\n'; current numpy follows the dict with 21 - len(repr(shape[0])) "growth" spaces
// (GROWTH_AXIS_MAX_DIGITS). 64-byte alignment since numpy 1.14 (numpy PR #9025), 16 before.

// MARK: - Helpers

/// The error `NPY.read` throws for `bytes`, or nil when it reads them.
func npyError(_ bytes: [UInt8], source: String = "t.npy") -> NPYError? {
    do throws(NPYError) {
        _ = try NPY.read(bytes, source: source)
        return nil
    } catch {
        return error
    }
}

/// A .npy file with `header` (a dict literal) as its header text, padded numpy's way
/// (spaces and '\n' up to a multiple of `align`; no padding and no '\n' when `align` is
/// nil), followed by `data`.
func npyFile(_ header: String, version: UInt8 = 1, data: [UInt8] = [], align: Int? = 64) -> [UInt8] {
    let lengthSize = version == 1 ? 2 : 4
    var text = Array(header.utf8)
    if let align {
        let unpadded = 8 + lengthSize + text.count + 1
        text += Array(repeating: 0x20, count: (align - unpadded % align) % align) + [0x0A]
    }
    var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [version, 0]
    for i in 0..<lengthSize { bytes.append(UInt8(truncatingIfNeeded: text.count >> (8 * i))) }
    return bytes + text + data
}

/// The header text numpy writes for a float32 (n,) array, without padding.
func f4Header(_ shape: String) -> String { "{'descr': '<f4', 'fortran_order': False, 'shape': \(shape), }" }

/// `n` float32 elements 0, 1, 2, ... as little-endian bytes.
func f4Data(_ n: Int) -> [UInt8] { NPYArray.float32((0..<n).map(Float.init), shape: [n]).data }

// MARK: - Literal byte fixtures

@Suite struct NPYLiteralFixtureTests {
    /// `np.save(f, np.arange(6, dtype='<f4').reshape(2, 3))` with numpy 2.4.6, byte for byte:
    ///
    ///     93 4E 55 4D 50 59        magic "\x93NUMPY"                        bytes 0..<6
    ///     01 00                    version 1.0                               bytes 6..<8
    ///     76 00                    HEADER_LEN = 0x76 = 118 (u16 LE, "v\0")    bytes 8..<10
    ///     {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }        59 bytes
    ///     58 spaces (20 "growth" spaces for shape[0] + 38 alignment), '\n'   59 bytes
    ///     data: 0.0 1.0 2.0 3.0 4.0 5.0 as little-endian f32                bytes 128..<152
    ///
    /// 10 + 118 = 128, a multiple of 64. (Older numpy, without growth spaces, padded to
    /// the same 118: 59 + 58 alignment spaces + 1.)
    static let numpyF4x2x3: [UInt8] =
        [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 0x01, 0x00, 0x76, 0x00]
        + Array("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }".utf8)
        + Array(repeating: 0x20, count: 58) + [0x0A]
        + [0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0x40,
           0x00, 0x00, 0x40, 0x40, 0x00, 0x00, 0x80, 0x40, 0x00, 0x00, 0xA0, 0x40]

    @Test func numpyHeaderReadsAndEncodesByteForByte() throws {
        #expect(Self.numpyF4x2x3.count == 152)
        let array = try NPY.read(Self.numpyF4x2x3, source: "arange.npy")
        #expect(array.dtype == .float32)
        #expect(array.shape == [2, 3])
        #expect(array.floats() == [0, 1, 2, 3, 4, 5])
        #expect(NPY.encode(.float32([0, 1, 2, 3, 4, 5], shape: [2, 3])) == Self.numpyF4x2x3)
    }

    /// The same array as numpy before 1.14 wrote it: 16-byte alignment, no growth spaces.
    /// HEADER_LEN = 0x46 = 70 = 59 + 10 spaces + '\n'; 10 + 70 = 80 = 5 x 16.
    @Test func sixteenByteAlignedHeader() throws {
        let bytes: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 0x01, 0x00, 0x46, 0x00]
            + Array("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }".utf8)
            + Array(repeating: 0x20, count: 10) + [0x0A] + Array(Self.numpyF4x2x3[128...])
        #expect(bytes.count == 80 + 24)
        let array = try NPY.read(bytes, source: "old.npy")
        #expect(array == .float32([0, 1, 2, 3, 4, 5], shape: [2, 3]))
    }

    /// A version 2.0 file: 4-byte HEADER_LEN 0x74 = 116 = 59 + 56 spaces + '\n'; 12 + 116 = 128.
    @Test func version2Header() throws {
        let bytes: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 0x02, 0x00, 0x74, 0x00, 0x00, 0x00]
            + Array("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }".utf8)
            + Array(repeating: 0x20, count: 56) + [0x0A] + Array(Self.numpyF4x2x3[128...])
        let array = try NPY.read(bytes, source: "v2.npy")
        #expect(array == .float32([0, 1, 2, 3, 4, 5], shape: [2, 3]))
    }

    /// A scalar: `np.save(f, np.array(7, dtype='<i4'))`: shape (), no growth spaces;
    /// 10 + 55 + 1 = 66 -> 62 alignment spaces, HEADER_LEN 118, data 07 00 00 00.
    @Test func scalarHeader() throws {
        let bytes: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 0x01, 0x00, 0x76, 0x00]
            + Array("{'descr': '<i4', 'fortran_order': False, 'shape': (), }".utf8)
            + Array(repeating: 0x20, count: 62) + [0x0A] + [0x07, 0x00, 0x00, 0x00]
        let array = try NPY.read(bytes, source: "scalar.npy")
        #expect(array.shape == [])
        #expect(array.count == 1)
        #expect(array.int32s() == [7])
        #expect(NPY.encode(array) == bytes)
    }
}

// MARK: - Round trips

@Suite struct NPYRoundTripTests {
    static let shapes: [[Int]] = [[], [1], [7], [3, 5], [2, 3, 4], [0, 4]]

    /// Random element bytes (any bit pattern: NaNs, infinities, subnormals included).
    static func randomArray(_ dtype: NPYDType, shape: [Int], rng: inout SplitMix64) -> NPYArray {
        let count = shape.reduce(1, *)
        let data = (0..<(count * dtype.itemSize)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        return NPYArray(dtype: dtype, shape: shape, data: data)
    }

    @Test(arguments: NPYDType.allCases, shapes)
    func roundTrip(_ dtype: NPYDType, _ shape: [Int]) throws {
        var rng = SplitMix64(seed: 0x4E50_5900 &+ UInt64(shape.count * 10 + dtype.itemSize))
        let array = Self.randomArray(dtype, shape: shape, rng: &rng)
        let bytes = NPY.encode(array)
        let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
        #expect(Array(bytes[0..<8]) == NPY.magic + [1, 0])
        #expect((10 + headerLength) % 64 == 0, "data must start on a 64-byte boundary")
        #expect(bytes[10 + headerLength - 1] == 0x0A, "header ends with a newline")
        #expect(bytes.count == 10 + headerLength + array.count * dtype.itemSize)
        let back = try NPY.read(bytes, source: "roundtrip.npy")
        #expect(back == array)
        #expect(back.count == shape.reduce(1, *))
        #expect(NPY.encode(back) == bytes)
    }

    @Test(arguments: shapes)
    func typedValuesRoundTrip(_ shape: [Int]) throws {
        let count = shape.reduce(1, *)
        var rng = SplitMix64(seed: 77 + UInt64(count))
        let floats = (0..<count).map { _ in Float(bitPattern: UInt32(truncatingIfNeeded: rng.next())) }
        let int8s = (0..<count).map { _ in Int8(truncatingIfNeeded: rng.next()) }
        let int32s = (0..<count).map { _ in Int32(truncatingIfNeeded: rng.next()) }

        let f = try NPY.read(NPY.encode(.float32(floats, shape: shape)), source: "f.npy")
        #expect(f.floats().map(\.bitPattern) == floats.map(\.bitPattern))
        #expect(f.int8s() == nil && f.int32s() == nil && f.float16BitPatterns() == nil)

        let b = try NPY.read(NPY.encode(.int8(int8s, shape: shape)), source: "b.npy")
        #expect(b.int8s() == int8s)
        #expect(b.int32s() == nil)
        #expect(b.floats() == int8s.map(Float.init))

        let i = try NPY.read(NPY.encode(.int32(int32s, shape: shape)), source: "i.npy")
        #expect(i.int32s() == int32s)
        #expect(i.int8s() == nil)
        #expect(i.floats() == int32s.map(Float.init))
    }

    @Test func littleEndianElementBytes() {
        #expect(NPYArray.float32([1.0], shape: [1]).data == [0x00, 0x00, 0x80, 0x3F])
        #expect(NPYArray.int32([-2], shape: []).data == [0xFE, 0xFF, 0xFF, 0xFF])
        #expect(NPYArray.int32([0x0102_0304], shape: [1]).data == [0x04, 0x03, 0x02, 0x01])
        #expect(NPYArray.float16(bitPatterns: [0x3C00], shape: [1]).data == [0x00, 0x3C])
        #expect(NPYArray.int8([-1, 2], shape: [2]).data == [0xFF, 0x02])
    }

    /// Headers are ASCII, so encode uses 1.0 unless the header passes 65,535 bytes, then
    /// 2.0 (numpy's `_wrap_header_guess_version`). 22,000 axes of 1 need ~66,000 bytes. No
    /// numpy array has that many axes (at most 64), so the reader rejects the file it makes.
    @Test func hugeHeaderUsesVersion2() throws {
        let shape = Array(repeating: 1, count: 22_000)
        let array = NPYArray.float32([2.5], shape: shape)
        let bytes = NPY.encode(array)
        #expect(bytes[6] == 2 && bytes[7] == 0)
        let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
        #expect(headerLength > 65_535)
        #expect((12 + headerLength) % 64 == 0)
        #expect(throws: NPYError(source: "wide.npy", message: "malformed header: the shape has 22000 axes; numpy arrays have at most 64")) {
            try NPY.read(bytes, source: "wide.npy")
        }
        // A header just under the limit stays 1.0.
        let small = NPY.encode(.float32([1], shape: Array(repeating: 1, count: 20_000)))
        #expect(small[6] == 1)
    }

    /// numpy pads a header that would already end on a 64-byte boundary with 64 more
    /// spaces (`padlen = 64 - 0`). For shape (1,) * 13 + (100,): 10 + 97-byte dict + 20
    /// growth spaces + '\n' = 128, so 20 + 64 = 84 spaces and HEADER_LEN 0xB6 = 182.
    /// Expected bytes from numpy 2.4.6: `np.save(f, np.zeros((1,) * 13 + (100,), '<f4'))`.
    @Test func alreadyAlignedHeaderGetsSixtyFourMoreSpaces() throws {
        let expected: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 0x01, 0x00, 0xB6, 0x00]
            + Array("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 100), }".utf8)
            + Array(repeating: 0x20, count: 84) + [0x0A]
        #expect(expected.count == 192)
        let zeros = NPYArray.float32([Float](repeating: 0, count: 100), shape: Array(repeating: 1, count: 13) + [100])
        #expect(NPY.encode(zeros) == expected + [UInt8](repeating: 0, count: 400))
        #expect(try NPY.read(expected + [UInt8](repeating: 0, count: 400), source: "zeros.npy") == zeros)
        // numpy refuses an empty shape whose other extents overflow, whatever the axis order
        // ("array is too big"), and so does nmp.
        for shape in ["(0, 1000000000000000000, 100000000000000000)", "(0, 9223372036854775807)", "(9223372036854775807, 0)"] {
            let header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shape), }"
            #expect(throws: NPYError.self) { try NPY.read(npyFile(header), source: "empty.npy") }
        }
    }
}

// MARK: - float16

@Suite struct NPYFloat16Tests {
    /// An independent value for a binary16 pattern: (-1)^s * 2^(e-15) * (1 + m/1024) for
    /// normals, (-1)^s * 2^-14 * m/1024 for subnormals and zeros, infinities for e = 31,
    /// m = 0 and nil (NaN) for e = 31, m != 0; powers of two by repeated multiplication.
    static func reference(_ h: UInt16) -> Double? {
        let negative = h & 0x8000 != 0
        let e = Int((h >> 10) & 0x1F)
        let m = Double(h & 0x3FF)
        func power(_ k: Int) -> Double {
            var p = 1.0
            for _ in 0..<abs(k) { p = k > 0 ? p * 2 : p / 2 }
            return p
        }
        let magnitude: Double
        switch e {
        case 31:
            guard m == 0 else { return nil }
            magnitude = .infinity
        case 0: magnitude = power(-14) * (m / 1024)
        default: magnitude = power(e - 15) * (1 + m / 1024)
        }
        return negative ? -magnitude : magnitude
    }

    static let allHalves = NPYArray.float16(bitPatterns: (0...UInt16.max).map { $0 }, shape: [65_536])

    @Test func allBitPatternsMatchTheReference() throws {
        let bytes = NPY.encode(Self.allHalves)
        let floats = try NPY.read(bytes, source: "halves.npy").floats()
        #expect(floats.count == 65_536)
        var mismatches: [String] = []
        for h in 0...UInt16.max {
            let f = floats[Int(h)]
            let signMatches = f.sign == (h & 0x8000 != 0 ? .minus : .plus)
            if let expected = Self.reference(h) {
                if !(Double(f) == expected && signMatches) { mismatches.append("0x\(String(h, radix: 16)): \(f) != \(expected)") }
            } else {
                // NaN: sign and the 10-bit payload (quiet bit included) kept.
                let payload = (f.bitPattern >> 13) & 0x3FF
                if !(f.isNaN && signMatches && payload == UInt32(h & 0x3FF) && f.bitPattern & 0x1FFF == 0) {
                    mismatches.append("0x\(String(h, radix: 16)): NaN became \(String(f.bitPattern, radix: 16))")
                }
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) mismatches, first: \(mismatches.prefix(5))")
    }

    @Test(arguments: [
        (UInt16(0x0000), Float(0)), (0x8000, -0.0), (0x0001, 0x1p-24), (0x03FF, 0x1.FF8p-15),
        (0x0400, 0x1p-14), (0x3C00, 1), (0x3C01, 1 + 0x1p-10), (0xC000, -2), (0x3555, 0x1.554p-2),
        (0x7BFF, 65504), (0xFBFF, -65504), (0x7C00, .infinity), (0xFC00, -.infinity),
    ])
    func namedValues(_ bits: UInt16, _ expected: Float) {
        let value = NPYArray.float(fromHalfBits: bits)
        #expect(value.bitPattern == expected.bitPattern, "0x\(String(bits, radix: 16)) -> \(value), expected \(expected)")
    }

    #if !((os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64))
    /// Swift's own `Float16` (available on this platform) agrees on every pattern; for
    /// NaNs only sign and payload are compared (the hardware conversion may set the quiet bit).
    @Test func allBitPatternsMatchSwiftFloat16() {
        let floats = Self.allHalves.floats()
        var mismatches = 0
        for h in 0...UInt16.max {
            let ours = floats[Int(h)]
            let swift = Float(Float16(bitPattern: h))
            if swift.isNaN {
                let quietBit: UInt32 = 0x0040_0000
                if !(ours.isNaN && (ours.bitPattern | quietBit) == (swift.bitPattern | quietBit)) { mismatches += 1 }
            } else if ours.bitPattern != swift.bitPattern {
                mismatches += 1
            }
        }
        #expect(mismatches == 0)
    }
    #endif
}

// MARK: - Accepted header spellings

@Suite struct NPYHeaderSpellingTests {
    struct Spelling: Sendable, CustomTestStringConvertible {
        var label: String
        var bytes: [UInt8]
        var testDescription: String { label }
    }

    static let twoByThree: [Spelling] = [
        .init(label: "numpy's", bytes: npyFile(f4Header("(2, 3)"), data: f4Data(6))),
        .init(label: "keys reordered, double quotes", bytes: npyFile("{\"shape\": (2, 3), \"fortran_order\": False, \"descr\": \"<f4\"}", data: f4Data(6))),
        .init(label: "no spaces, no trailing comma", bytes: npyFile("{'descr':'<f4','fortran_order':False,'shape':(2,3)}", data: f4Data(6))),
        .init(label: "extra spaces and newlines", bytes: npyFile("  { 'descr' :  '<f4' ,\n 'fortran_order' : False , 'shape' : ( 2 , 3 , ) , }  ", data: f4Data(6))),
        .init(label: "unaligned, no newline", bytes: npyFile(f4Header("(2, 3)"), data: f4Data(6), align: nil)),
        .init(label: "16-byte aligned", bytes: npyFile(f4Header("(2, 3)"), data: f4Data(6), align: 16)),
        .init(label: "Python 2 long integers", bytes: npyFile(f4Header("(2L, 3L)"), data: f4Data(6))),
        .init(label: "u'' strings", bytes: npyFile("{u'descr': u'<f4', u'fortran_order': False, u'shape': (2, 3)}", data: f4Data(6))),
        .init(label: "version 2.0", bytes: npyFile(f4Header("(2, 3)"), version: 2, data: f4Data(6))),
        .init(label: "version 3.0", bytes: npyFile(f4Header("(2, 3)"), version: 3, data: f4Data(6))),
        .init(label: "tabs", bytes: npyFile("{'descr':\t'<f4',\t'fortran_order':\tFalse,\t'shape':\t(2,\t3)}\t", data: f4Data(6))),
    ]

    @Test(arguments: twoByThree)
    func readsAsTwoByThreeFloat32(_ spelling: Spelling) throws {
        let array = try NPY.read(spelling.bytes, source: "spelling.npy")
        #expect(array == .float32([0, 1, 2, 3, 4, 5], shape: [2, 3]))
    }

    @Test(arguments: ["|i1", "<i1", "i1", "=i1", ">i1"])
    func int8Spellings(_ descr: String) throws {
        let array = try NPY.read(npyFile("{'descr': '\(descr)', 'fortran_order': False, 'shape': (3,), }", data: [0xFF, 0, 5]), source: "i1.npy")
        #expect(array.dtype == .int8)
        #expect(array.int8s() == [-1, 0, 5])
    }

    @Test(arguments: [("(1,)", 1), ("(5,)", 5), ("()", 1), ("(0,)", 0), ("(3, 1)", 3), ("(1, 4)", 4), ("(1, 1, 6, 1)", 6), ("(0, 4, 5)", 0)])
    func fortranOrderWhereItMeansTheSameBytes(_ shape: String, _ count: Int) throws {
        let bytes = npyFile("{'descr': '<f4', 'fortran_order': True, 'shape': \(shape), }", data: f4Data(count))
        let array = try NPY.read(bytes, source: "f.npy")
        #expect(array.count == count)
        #expect(array.floats() == (0..<count).map(Float.init))
    }

    @Test func parenthesizedSingleValueIsNotATuple() throws {
        // In Python `(3)` is 3, so 'shape': (3) is not a tuple (numpy rejects it too).
        let error = npyError(npyFile(f4Header("(3)"), data: f4Data(3)))
        #expect(error?.message == "malformed header: 'shape' must be a tuple of integers like (3, 4), (5,) or (), found 3")
    }
}

// MARK: - Rejected files: precise messages

@Suite struct NPYRejectionTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var label: String
        var bytes: [UInt8]
        var message: String
        var testDescription: String { label }
    }

    static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)

    /// A 1.0 header is latin-1: the byte 0xE9 is 'é' (U+00E9).
    static let latin1File: [UInt8] = magic + [1, 0, 58, 0] + Array("{'descr': '<f".utf8) + [0xE9]
        + Array("', 'fortran_order': False, 'shape': (1,), }\n".utf8) + [0, 0, 0, 0]

    static let cases: [Case] = [
        .init(label: "empty", bytes: [], message: "not a .npy file (no \\x93NUMPY magic): the file is empty"),
        .init(label: "text", bytes: Array("hello, world".utf8), message: "not a .npy file (no \\x93NUMPY magic)"),
        .init(label: "zip", bytes: [0x50, 0x4B, 0x03, 0x04, 0x14, 0x00], message: "not a .npy file (no \\x93NUMPY magic): this looks like a zip archive (a .npz holds one .npy per array; extract it)"),
        .init(label: "half magic", bytes: [0x93, 0x4E, 0x55], message: "not a .npy file (no \\x93NUMPY magic): the file ends after 3 of the magic's 6 bytes"),
        .init(label: "magic only", bytes: magic, message: "truncated: the file ends after the magic, before the two version bytes (it has 6 bytes)"),
        .init(label: "version 4.0", bytes: magic + [4, 0, 0, 0], message: "unsupported .npy version 4.0 (nmp reads 1.0, 2.0 and 3.0)"),
        .init(label: "version 1.1", bytes: magic + [1, 1, 0, 0], message: "unsupported .npy version 1.1 (nmp reads 1.0, 2.0 and 3.0)"),
        .init(label: "version 0.0", bytes: magic + [0, 0, 0, 0], message: "unsupported .npy version 0.0 (nmp reads 1.0, 2.0 and 3.0)"),
        .init(label: "short length field", bytes: magic + [1, 0, 0x76], message: "truncated: the file ends inside the 2-byte header length field (it has 9 bytes, the field ends at byte 10)"),
        .init(label: "short length field 2.0", bytes: magic + [2, 0, 0x76, 0, 0], message: "truncated: the file ends inside the 4-byte header length field (it has 11 bytes, the field ends at byte 12)"),
        .init(label: "header longer than file", bytes: magic + [1, 0, 0xC8, 0x00] + Array("{'descr'".utf8), message: "truncated: the header length field says 200 header bytes, but only 8 follow it"),
        .init(label: "huge 2.0 header length", bytes: magic + [2, 0, 0xFF, 0xFF, 0xFF, 0xFF] + Array("{}".utf8), message: "truncated: the header length field says 4294967295 header bytes, but only 2 follow it"),
        .init(label: "big-endian float64", bytes: npyFile("{'descr': '>f8', 'fortran_order': False, 'shape': (3,), }", data: Array(repeating: 0, count: 24)), message: "big-endian dtype '>f8' (float64) is not supported: nmp reads little-endian data; save with a.astype('<f8')"),
        .init(label: "truncated float64", bytes: npyFile("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", data: Array(repeating: 0, count: 23)), message: "truncated: the header says 3 float64 = 24 data bytes but the file has 23"),
        .init(label: "int64", bytes: npyFile("{'descr': '<i8', 'fortran_order': False, 'shape': (1,), }", data: Array(repeating: 0, count: 8)), message: "unsupported dtype '<i8' (int64): nmp reads float32, float16, float64, int8, int32"),
        .init(label: "uint8", bytes: npyFile("{'descr': '|u1', 'fortran_order': False, 'shape': (1,), }", data: [0]), message: "unsupported dtype '|u1' (uint8): nmp reads float32, float16, float64, int8, int32"),
        .init(label: "bool", bytes: npyFile("{'descr': '|b1', 'fortran_order': False, 'shape': (1,), }", data: [0]), message: "unsupported dtype '|b1' (bool): nmp reads float32, float16, float64, int8, int32"),
        .init(label: "complex", bytes: npyFile("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", data: Array(repeating: 0, count: 8)), message: "unsupported dtype '<c8' (complex64): nmp reads float32, float16, float64, int8, int32"),
        .init(label: "nonsense dtype", bytes: npyFile("{'descr': 'float32', 'fortran_order': False, 'shape': (1,), }", data: [0, 0, 0, 0]), message: "unsupported dtype 'float32' (not a numpy dtype descriptor): nmp reads float32, float16, float64, int8, int32"),
        .init(label: "empty dtype", bytes: npyFile("{'descr': '', 'fortran_order': False, 'shape': (1,), }"), message: "unsupported dtype '' (not a numpy dtype descriptor): nmp reads float32, float16, float64, int8, int32"),
        .init(label: "big-endian f4", bytes: npyFile("{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", data: [0, 0, 0, 0]), message: "big-endian dtype '>f4' (float32) is not supported: nmp reads little-endian data; save with a.astype('<f4')"),
        .init(label: "big-endian i4", bytes: npyFile("{'descr': '>i4', 'fortran_order': False, 'shape': (1,), }", data: [0, 0, 0, 0]), message: "big-endian dtype '>i4' (int32) is not supported: nmp reads little-endian data; save with a.astype('<i4')"),
        .init(label: "big-endian f2", bytes: npyFile("{'descr': '>f2', 'fortran_order': False, 'shape': (1,), }", data: [0, 0]), message: "big-endian dtype '>f2' (float16) is not supported: nmp reads little-endian data; save with a.astype('<f2')"),
        .init(label: "native order '='", bytes: npyFile("{'descr': '=i4', 'fortran_order': False, 'shape': (1,), }", data: [0, 0, 0, 0]), message: "dtype '=i4' (int32) has no explicit byte order: nmp reads explicitly little-endian '<i4'"),
        .init(label: "control characters in dtype", bytes: npyFile("{'descr': '<f\\x00\\n', 'fortran_order': False, 'shape': (1,), }", data: [0, 0, 0, 0]), message: "unsupported dtype '<f\\x00\\n' (not a numpy dtype descriptor): nmp reads float32, float16, float64, int8, int32"),
        .init(label: "native order", bytes: npyFile("{'descr': 'f4', 'fortran_order': False, 'shape': (1,), }", data: [0, 0, 0, 0]), message: "dtype 'f4' (float32) has no explicit byte order: nmp reads explicitly little-endian '<f4'"),
        .init(label: "object", bytes: npyFile("{'descr': '|O', 'fortran_order': False, 'shape': (2,), }", data: [0x80, 0x04]), message: "object arrays (dtype '|O') are not supported: their data is a pickle of Python objects, not numbers"),
        .init(label: "structured", bytes: npyFile("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", data: f4Data(2)), message: "structured dtypes are not supported ('descr' is a list of fields: [('a', '<f4')]): nmp reads plain float32, float16, int8, int32 arrays"),
        .init(label: "descr not a string", bytes: npyFile("{'descr': 5, 'fortran_order': False, 'shape': (2,), }", data: f4Data(2)), message: "malformed header: 'descr' must be a dtype string like '<f4', found 5"),
        .init(label: "fortran order", bytes: npyFile("{'descr': '<f4', 'fortran_order': True, 'shape': (3, 4), }", data: f4Data(12)), message: "Fortran-order arrays are not supported: save with np.ascontiguousarray"),
        .init(label: "fortran_order 1", bytes: npyFile("{'descr': '<f4', 'fortran_order': 1, 'shape': (3,), }", data: f4Data(3)), message: "malformed header: 'fortran_order' must be True or False, found 1"),
        .init(label: "fortran_order 'False'", bytes: npyFile("{'descr': '<f4', 'fortran_order': 'False', 'shape': (3,), }", data: f4Data(3)), message: "malformed header: 'fortran_order' must be True or False, found 'False'"),
        .init(label: "truncated data", bytes: npyFile(f4Header("(3, 4)"), data: f4Data(10)), message: "truncated: the header says 3 x 4 float32 = 48 data bytes but the file has 40"),
        .init(label: "truncated scalar", bytes: npyFile(f4Header("()"), data: [0, 0]), message: "truncated: the header says a scalar float32 = 4 data bytes but the file has 2"),
        .init(label: "trailing data", bytes: npyFile(f4Header("(3, 4)"), data: f4Data(12) + [1, 2]), message: "trailing data: 2 bytes after the array (the header says 3 x 4 float32 = 48 data bytes, the file has 50)"),
        .init(label: "trailing data after empty", bytes: npyFile(f4Header("(0, 4)"), data: [9]), message: "trailing data: 1 bytes after the array (the header says 0 x 4 float32 = 0 data bytes, the file has 1)"),
        .init(label: "negative shape", bytes: npyFile(f4Header("(-1, 4)"), data: []), message: "malformed header: shape entry -1 (axis 0) is negative"),
        .init(label: "float shape", bytes: npyFile(f4Header("(3, 2.5)"), data: []), message: "malformed header: shape entry 2.5 (axis 1) is not an integer"),
        .init(label: "string shape", bytes: npyFile(f4Header("('3',)"), data: []), message: "malformed header: shape entry '3' (axis 0) is not an integer"),
        .init(label: "bool shape", bytes: npyFile(f4Header("(True,)"), data: []), message: "malformed header: shape entry True (axis 0) is not an integer"),
        .init(label: "list shape", bytes: npyFile(f4Header("[3, 4]"), data: []), message: "malformed header: 'shape' must be a tuple of integers like (3, 4), (5,) or (), found [3, 4]"),
        .init(label: "huge shape entry", bytes: npyFile(f4Header("(99999999999999999999,)"), data: []), message: "malformed header: shape entry 99999999999999999999 (axis 0) is too large"),
        .init(label: "overflowing shape", bytes: npyFile(f4Header("(1099511627776, 1099511627776)"), data: []), message: "shape (1099511627776, 1099511627776) is too large: its size in bytes (4 per float32) overflows Int"),
        .init(label: "overflow by item size", bytes: npyFile(f4Header("(4611686018427387904,)"), data: []), message: "shape (4611686018427387904,) is too large: its size in bytes (4 per float32) overflows Int"),
        .init(label: "missing key", bytes: npyFile("{'descr': '<f4', 'shape': (3,), }", data: f4Data(3)), message: "malformed header: the key 'fortran_order' is missing"),
        .init(label: "extra key", bytes: npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), 'order': 'C'}", data: f4Data(3)), message: "malformed header: unexpected key 'order' (a .npy header has exactly the keys 'descr', 'fortran_order' and 'shape')"),
        .init(label: "non-string key", bytes: npyFile("{'descr': '<f4', 'fortran_order': False, 3: (3,)}", data: f4Data(3)), message: "malformed header: unexpected key 3 (a .npy header has exactly the keys 'descr', 'fortran_order' and 'shape')"),
        .init(label: "duplicate key", bytes: npyFile("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (3,)}", data: f4Data(3)), message: "malformed header: the key 'descr' appears twice"),
        .init(label: "not a dict", bytes: npyFile("[1, 2]"), message: "malformed header: expected a dict like {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }, found [1, 2]"),
        .init(label: "empty header", bytes: magic + [1, 0, 6, 0] + Array("     \n".utf8), message: "malformed header: it is empty (6 bytes of padding, no dict)"),
        .init(label: "zero-length header", bytes: magic + [1, 0, 0, 0], message: "malformed header: it is empty (0 bytes of padding, no dict)"),
        // Header text starts at byte 10 (version 1.0): offsets below are 10 + index in the text.
        .init(label: "missing comma", bytes: npyFile("{'descr': '<f4' 'fortran_order': False, 'shape': (3,), }"), message: "malformed header at byte 26: expected ',' or '}' after the value of 'descr', found \"'\""),
        .init(label: "missing colon", bytes: npyFile("{'descr' '<f4'}"), message: "malformed header at byte 19: expected ':' after the key 'descr', found \"'\""),
        .init(label: "unterminated string", bytes: npyFile("{'descr': '<f4"), message: "malformed header at byte 20: unterminated string (it runs into a newline)"),
        .init(label: "unterminated dict", bytes: npyFile("{'descr': '<f4',", align: nil), message: "malformed header at byte 26: expected a value, found the end of the header"),
        .init(label: "unknown name", bytes: npyFile("{'descr': '<f4', 'fortran_order': false, 'shape': (3,)}"), message: "malformed header at byte 44: unexpected name 'false' (a header holds only strings, numbers, True, False, None, tuples, lists and dicts)"),
        .init(label: "junk after dict", bytes: npyFile(f4Header("(3,)") + " x", data: f4Data(3)), message: "malformed header at byte 68: unexpected 'x' after the end of the dict"),
        .init(label: "bad character", bytes: npyFile("{'descr': <f4}"), message: "malformed header at byte 20: unexpected '<'"),
        .init(label: "lone minus", bytes: npyFile(f4Header("(-, 3)")), message: "malformed header at byte 62: expected a number after '-', found ','"),
        .init(label: "nested too deep", bytes: npyFile(String(repeating: "[", count: 40)), message: "malformed header at byte 42: nested more than 32 levels deep"),
        .init(label: "latin-1 byte in 1.0 header", bytes: latin1File, message: "unsupported dtype '<f\u{E9}' (not a numpy dtype descriptor): nmp reads float32, float16, float64, int8, int32"),
        .init(label: "UTF-8 in 3.0 header", bytes: npyFile("{'descr': '<f\u{E9}', 'fortran_order': False, 'shape': (1,), }", version: 3, data: [0, 0, 0, 0]), message: "unsupported dtype '<f\u{E9}' (not a numpy dtype descriptor): nmp reads float32, float16, float64, int8, int32"),
        .init(label: "invalid UTF-8 in 3.0 header", bytes: magic + [3, 0, 4, 0, 0, 0] + [0x7B, 0xFF, 0x7D, 0x0A], message: "malformed header: it is not valid UTF-8 (version 3.0 headers are UTF-8)"),
        .init(label: "raw 0x93 byte in header", bytes: magic + [1, 0, 3, 0] + [0x7B, 0x93, 0x0A], message: "malformed header at byte 11: unexpected byte 0x93"),
    ]

    @Test(arguments: cases)
    func rejectsWithPreciseMessage(_ c: Case) {
        let error = npyError(c.bytes, source: "bad.npy")
        #expect(error?.message == c.message)
        #expect(error?.source == "bad.npy")
        #expect(error?.description == "bad.npy: " + c.message)
    }

    @Test func descriptionNamesTheFile() {
        let error = npyError(Array("PK".utf8), source: "models/layer0.npy")
        #expect(error?.description == "models/layer0.npy: not a .npy file (no \\x93NUMPY magic)")
        #expect(error == NPYError(source: "models/layer0.npy", message: "not a .npy file (no \\x93NUMPY magic)"))
    }
}

// MARK: - Files written by numpy

/// Tests/NMPRuntimeTests/Fixtures/npy/*.npy were written by numpy 2.4.6 with
/// make_fixtures.py (in the same folder). Every file there must be listed below.
@Suite struct NPYNumpyFixtureTests {
    static let folder = "Tests/NMPRuntimeTests/Fixtures/npy"
    static var fixtures: [String] { repositoryFiles(in: folder, suffix: ".npy") }

    /// What each readable fixture holds.
    static let readable: [String: NPYArray] = [
        "f4_2x3_v1.npy": .float32([-0.5, -0.25, 0, 0.25, 0.5, 0.75], shape: [2, 3]),
        "f2_6_v1.npy": .float16(bitPatterns: [0x3800, 0x8000, 0x0003, 0x7BFF, 0xFC00, 0x7E00], shape: [6]),
        "i1_2x2x2_v1.npy": .int8([-128, -1, 0, 1, 2, 3, 126, 127], shape: [2, 2, 2]),
        "i4_4_v1.npy": .int32([Int32.min, -1, 0, Int32.max], shape: [4]),
        "f4_scalar_v1.npy": .float32([3.5], shape: []),
        "i4_0x4_v1.npy": .int32([], shape: [0, 4]),
        "f4_3x4_v2.npy": .float32((0..<12).map(Float.init), shape: [3, 4]),
        "i1_7_v3.npy": .int8([-3, -2, -1, 0, 1, 2, 3], shape: [7]),
        "f8_5_v1.npy": .float64(bitPatterns: [0x3FB9_9999_9999_999A, 0x3FD5_5555_5555_5555, 0xB58D_EE7A_4AD4_B81F,
                                              0x4170_0000_1000_0000, 0x4807_8287_F49C_4A1D], shape: [5]),
        "f2_2x2_v3.npy": .float16(bitPatterns: [0x3C00, 0xC000, 0x2E66, 0x7BFF], shape: [2, 2]),
    ]

    /// The message each rejected fixture gets.
    static let rejected: [String: String] = [
        "bad_fortran_3x4.npy": "Fortran-order arrays are not supported: save with np.ascontiguousarray",
        "bad_bigendian_f4_3.npy": "big-endian dtype '>f4' (float32) is not supported: nmp reads little-endian data; save with a.astype('<f4')",
        "bad_object_2.npy": "object arrays (dtype '|O') are not supported: their data is a pickle of Python objects, not numbers",
        "bad_structured_2.npy": "structured dtypes are not supported ('descr' is a list of fields: [('a', '<f4'), ('b', '<i4')]): nmp reads plain float32, float16, int8, int32 arrays",
        "bad_unicode_2.npy": "unsupported dtype '<U2' (unicode string of length 2): nmp reads float32, float16, float64, int8, int32",
        "bad_u1_4.npy": "unsupported dtype '|u1' (uint8): nmp reads float32, float16, float64, int8, int32",
    ]

    static func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: repositoryRoot.appendingPathComponent(folder).appendingPathComponent(name)))
    }

    /// float64 converts to float32 as numpy's `astype(np.float32)` does: the expected bit
    /// patterns were printed by numpy 2.4.6 for the fixture's values (0.1, 1/3, -1e-50,
    /// 2^24 + 1, 1e39).
    @Test func float64ConvertsLikeNumPy() throws {
        let array = try NPY.read(try Self.bytes("f8_5_v1.npy"), source: "f8_5_v1.npy")
        #expect(array.floats().map(\.bitPattern) == [0x3DCC_CCCD, 0x3EAA_AAAB, 0x8000_0000, 0x4B80_0000, 0x7F80_0000])
    }

    @Test func everyFixtureHasAnExpectation() {
        #expect(Set(Self.fixtures) == Set(Self.readable.keys).union(Self.rejected.keys))
    }

    @Test(arguments: fixtures)
    func fixture(_ name: String) throws {
        let bytes = try Self.bytes(name)
        if let message = Self.rejected[name] {
            #expect(npyError(bytes, source: name) == NPYError(source: name, message: message))
            return
        }
        let expected = try #require(Self.readable[name])
        let array = try NPY.read(bytes, source: name)
        #expect(array == expected)
        #expect(name.hasSuffix("_v\(bytes[6]).npy"), "version byte \(bytes[6]) matches the name")
        // np.save (version 1.0) and NPY.encode write the same bytes.
        if bytes[6] == 1 { #expect(NPY.encode(array) == bytes) }
    }

    @Test func valuesAsNumpyComputedThem() throws {
        #expect(try NPY.read(Self.bytes("f4_2x3_v1.npy"), source: "").floats() == [-0.5, -0.25, 0, 0.25, 0.5, 0.75])
        let halves = try NPY.read(Self.bytes("f2_6_v1.npy"), source: "").floats()
        // numpy: [0.5, -0.0, 1.7881393432617188e-07, 65504.0, -inf, nan]
        #expect(halves[0] == 0.5)
        #expect(halves[1] == 0 && halves[1].sign == .minus)
        #expect(halves[2] == 1.7881393432617188e-07)
        #expect(halves[3] == 65504)
        #expect(halves[4] == -.infinity)
        #expect(halves[5].isNaN)
        // numpy: np.float16(0.099975586) as float32 is 0.0999755859375.
        #expect(try NPY.read(Self.bytes("f2_2x2_v3.npy"), source: "").floats() == [1, -2, 0.0999755859375, 65504])
        #expect(try NPY.read(Self.bytes("i4_0x4_v1.npy"), source: "").count == 0)
    }
}

// MARK: - Robustness

@Suite struct NPYMutationTests {
    /// Valid files to damage: every dtype, several shapes and all three versions.
    static func seeds() -> [[UInt8]] {
        var rng = SplitMix64(seed: 2024)
        var files: [[UInt8]] = []
        for dtype in NPYDType.allCases {
            for shape in NPYRoundTripTests.shapes {
                files.append(NPY.encode(NPYRoundTripTests.randomArray(dtype, shape: shape, rng: &rng)))
            }
        }
        files.append(npyFile(f4Header("(2, 3)"), version: 2, data: f4Data(6)))
        files.append(npyFile(f4Header("(2, 3)"), version: 3, data: f4Data(6)))
        files.append(npyFile("{\"shape\":(3L,),\"fortran_order\":True,\"descr\":[('a', '<f4')]}", data: f4Data(3)))
        return files
    }

    static let interesting: [UInt8] = Array("'\"(),-+9 0{}[]:L\n\\xeTrueFalse.".utf8) + [0x00, 0x93, 0xFF, 0x7F]

    /// Damages `file` in 1 to 4 random ways, mostly inside the first 128 bytes (the header);
    /// one time in four only the element bytes change (the file must still read).
    static func mutate(_ file: [UInt8], rng: inout SplitMix64) -> [UInt8] {
        var bytes = file
        if rng.next() % 4 == 0 {
            let lengthSize = file[6] == 1 ? 2 : 4
            let dataStart = 8 + lengthSize + (0..<lengthSize).reduce(0) { $0 | Int(file[8 + $1]) << (8 * $1) }
            if dataStart < bytes.count {
                bytes[dataStart + Int(rng.next() % UInt64(bytes.count - dataStart))] = UInt8(truncatingIfNeeded: rng.next())
            }
            return bytes
        }
        for _ in 0...(rng.next() % 4) {
            let headerBias = rng.next() % 4 != 0
            func position() -> Int {
                guard !bytes.isEmpty else { return 0 }
                let limit = headerBias ? min(bytes.count, 128) : bytes.count
                return Int(rng.next() % UInt64(limit))
            }
            switch rng.next() % 7 {
            case 0: if !bytes.isEmpty { let p = position(); bytes[p] ^= UInt8(1) << (rng.next() % 8) }
            case 1: if !bytes.isEmpty { bytes[position()] = UInt8(truncatingIfNeeded: rng.next()) }
            case 2: bytes = Array(bytes.prefix(Int(rng.next() % UInt64(bytes.count + 1))))
            case 3: bytes.insert(UInt8(truncatingIfNeeded: rng.next()), at: min(position(), bytes.count))
            case 4: if !bytes.isEmpty { bytes.remove(at: position()) }
            case 5: if !bytes.isEmpty { bytes[position()] = interesting[Int(rng.next() % UInt64(interesting.count))] }
            default: if bytes.count > 9 { bytes[8 + Int(rng.next() % 2)] = UInt8(truncatingIfNeeded: rng.next()) }  // header length
            }
        }
        return bytes
    }

    /// 2,000 damaged files: each reads (and is then a consistent array that round-trips)
    /// or throws an NPYError naming the file; nothing traps.
    @Test func damagedFilesReadOrThrowNeverTrap() throws {
        var rng = SplitMix64(seed: 0x4E50_59F0)
        let seeds = Self.seeds()
        var read = 0, rejected = 0
        var kinds: Set<String> = []
        for iteration in 0..<2_000 {
            let damaged = Self.mutate(seeds[Int(rng.next() % UInt64(seeds.count))], rng: &rng)
            let source = "mutant\(iteration).npy"
            do throws(NPYError) {
                let array = try NPY.read(damaged, source: source)
                read += 1
                #expect(array.data.count == array.shape.reduce(1, *) * array.dtype.itemSize)
                #expect(array.floats().count == array.count)
                #expect(try NPY.read(NPY.encode(array), source: source) == array)
            } catch {
                rejected += 1
                kinds.insert(String(error.message.prefix { !$0.isNumber && !":('".contains($0) }))
                #expect(error.source == source)
                #expect(!error.message.isEmpty)
                #expect(error.description.hasPrefix(source + ": "))
            }
        }
        #expect(read + rejected == 2_000)
        #expect(read > 100 && rejected > 100, "read \(read), rejected \(rejected)")
        #expect(kinds.count >= 6, "\(kinds.sorted())")
    }

    /// 2,000 headers of random tokens behind a valid prefix: read or throw, never trap.
    @Test func randomHeadersReadOrThrowNeverTrap() {
        var rng = SplitMix64(seed: 99)
        let tokens = ["{", "}", "(", ")", "[", "]", ",", ":", " ", "'descr'", "'shape'", "'fortran_order'", "'<f4'", "'|i1'",
                      "'>f2'", "\"<i4\"", "True", "False", "None", "0", "3", "-2", "2.5", "99999999999999999999999", "0x10", "1_000",
                      "7L", "'", "\"", "\\", "\n", "u'", "-", "(3,)", "()", "1e5", "\u{E9}"]
        for version in [UInt8(1), 2, 3] {
            for _ in 0..<700 {
                var header = ""
                for _ in 0..<(1 + rng.next() % 14) { header += tokens[Int(rng.next() % UInt64(tokens.count))] }
                let data = (0..<(rng.next() % 16)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                _ = npyError(npyFile(header, version: version, data: data, align: rng.next() % 2 == 0 ? 64 : nil))
            }
        }
    }

    /// Every prefix of a valid file (all truncation points) is rejected as truncated or
    /// not a .npy file, never read and never a trap.
    @Test func everyTruncationIsRejected() {
        let file = NPY.encode(.int32([1, 2, 3], shape: [3]))
        for length in 0..<file.count {
            let error = npyError(Array(file.prefix(length)))
            #expect(error != nil, "prefix of \(length) bytes read")
        }
    }
}
