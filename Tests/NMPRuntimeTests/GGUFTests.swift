import Foundation
import NMPTestSupport
import Testing
@testable import NMPRuntime

/// The GGUF fixtures: files written by gguf-py's GGUFWriter and quantized by gguf.quants
/// (Fixtures/gguf/make_gguf_fixtures.py), with the expected values beside them as .npy.
enum GGUFFixtures {
    static let folder = repositoryRoot.appendingPathComponent("Tests/NMPRuntimeTests/Fixtures/gguf")
    static func path(_ name: String) -> String { folder.appendingPathComponent(name).path }
    static func bytes(_ name: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: folder.appendingPathComponent(name))) }
    static func npy(_ name: String) throws -> NPYArray { try NPY.read(bytes(name), source: name) }
}

struct GGUFFixtureTests {
    @Test func metadataReadsBack() throws {
        let file = try GGUFFile(path: GGUFFixtures.path("tensors.gguf"))
        #expect(file.version == 3)
        #expect(file.alignment == 32)
        #expect(file["general.architecture"] == .string("bitnet"))
        #expect(file["test.u8"] == .uint8(200))
        #expect(file["test.i8"] == .int8(-100))
        #expect(file["test.u16"] == .uint16(65000))
        #expect(file["test.i16"] == .int16(-30000))
        #expect(file["test.u32"] == .uint32(4_000_000_000))
        #expect(file["test.i32"] == .int32(-2_000_000_000))
        #expect(file["test.f32"] == .float32(0.15625))
        #expect(file["test.bool"] == .bool(true))
        #expect(file["test.string"] == .string("ternäry ✓"))
        #expect(file["test.u64"] == .uint64(18_000_000_000_000_000_000))
        #expect(file["test.i64"] == .int64(-9_000_000_000_000_000_000))
        #expect(file["test.f64"] == .float64(-2.5e-300))
        #expect(file["test.strings"]?.strings == ["<s>", "</s>", "hello", ""])
        #expect(file["test.ints"] == .array(.int32, [.int32(1), .int32(-2), .int32(3)]))
        #expect(file["test.nested"] == .array(.array, [.array(.int32, [.int32(1), .int32(2)]), .array(.int32, [.int32(3)])]))
        #expect(file.metadataKeys.first == "general.architecture")
        #expect(file.metadataKeys.count == file.metadata.count)
    }

    /// Every float tensor equals gguf.quants' dequantization (or the written floats), bit for bit.
    @Test(arguments: ["t.f32", "t.f16", "t.bf16", "t.q8_0", "t.tq1_0", "t.tq2_0", "t.tq2_0.mixed", "t.tq1_0.mixed"])
    func floatsMatchGGUFPy(_ name: String) throws {
        let file = try GGUFFile(path: GGUFFixtures.path("tensors.gguf"))
        let expected = try GGUFFixtures.npy("tensors.\(name).npy")
        let info = try file.tensor(name)
        #expect(info.shape == expected.shape, "\(name)")
        #expect(try file.floats(name).map(\.bitPattern) == expected.floats().map(\.bitPattern), "\(name)")
    }

    @Test(arguments: ["t.tq1_0", "t.tq2_0", "t.tq2_0.mixed", "t.tq1_0.mixed"])
    func tritsMatchTheWrittenTrits(_ name: String) throws {
        let file = try GGUFFile(path: GGUFFixtures.path("tensors.gguf"))
        let trits = try file.trits(name)
        #expect(trits.trits == (try GGUFFixtures.npy("tensors.\(name).trits.npy").int8s()), "\(name)")
        #expect(trits.scales == (try GGUFFixtures.npy("tensors.\(name).scales.npy").floats()), "\(name)")
        #expect(trits.blockSize == 256)
    }

    @Test func uniformScaleOrTheFirstDifferingBlock() throws {
        let path = GGUFFixtures.path("tensors.gguf")
        let file = try GGUFFile(path: path)
        #expect(try file.trits("t.tq1_0").uniformScale() == 0.375)
        #expect(try file.trits("t.tq2_0").uniformScale() == 1.5)
        for (name, block) in [("t.tq2_0.mixed", 1), ("t.tq1_0.mixed", 2)] {
            let trits = try file.trits(name)
            #expect { try trits.uniformScale() } throws: { error in
                let e = error as! GGUFError
                return e.file == path && e.tensor == name && e.message.hasPrefix("block \(block) ")
            }
        }
    }

    /// I2_S written by hand in the script after BitNet's converter layout.
    @Test func i2sTritsAndScale() throws {
        let file = try GGUFFile(path: GGUFFixtures.path("i2s.gguf"))
        #expect(file.alignment == 64)
        let info = try file.tensor("t.i2_s")
        #expect(info.type == .i2_s && info.dimensions == [256, 4] && info.byteCount == 1024 / 4 + 32)
        let trits = try file.trits("t.i2_s")
        #expect(trits.trits == (try GGUFFixtures.npy("i2s.t.i2_s.trits.npy").int8s()))
        #expect(trits.scales == (try GGUFFixtures.npy("i2s.t.i2_s.scales.npy").floats()))
        #expect(trits.blockSize == 1024)
        #expect(try trits.uniformScale() == 0.8125)
        #expect(try file.floats("t.i2_s") == trits.trits.map { Float($0) * 0.8125 })
        #expect(try file.floats("t.after") == (try GGUFFixtures.npy("i2s.t.after.npy").floats()))
    }

    @Test func wrongTypeAndMissingTensorNameTheTensor() throws {
        let path = GGUFFixtures.path("tensors.gguf")
        let file = try GGUFFile(path: path)
        #expect(throws: GGUFError(file: path, tensor: "t.f32", message: "type F32 is not one nmp decodes as trits (TQ1_0, TQ2_0, I2_S)")) {
            _ = try file.trits("t.f32")
        }
        #expect(throws: GGUFError(file: path, tensor: "nope", message: "no such tensor in the file")) { _ = try file.floats("nope") }
    }

    /// A 1.2 GB file (sparse, so it costs no disk) opens and decodes one small tensor without
    /// costing its size in resident memory: the file is mapped, not read.
    @Test func largeFileIsMappedNotRead() throws {
        let big = 300_000_000                                          // float32 values: 1.2 GB
        var header: [UInt8] = Array("GGUF".utf8)
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { header += $0 } }
        func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { header += $0 } }
        func name(_ s: String) { u64(UInt64(s.utf8.count)); header += Array(s.utf8) }
        u32(3); u64(2); u64(0)
        name("big"); u32(1); u64(UInt64(big)); u32(0); u64(0)
        name("small"); u32(1); u64(4); u32(0); u64(UInt64(big * 4))
        let dataOffset = (header.count + 31) / 32 * 32
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("nmp-gguf-big-\(UUID().uuidString).gguf")
        defer { try? FileManager.default.removeItem(at: url) }
        _ = FileManager.default.createFile(atPath: url.path, contents: Data(header))
        let handle = try FileHandle(forWritingTo: url)
        try handle.seek(toOffset: UInt64(dataOffset + big * 4))
        var tail: [UInt8] = []
        for v: Float in [1.5, -2, 0.25, 8] { withUnsafeBytes(of: v.bitPattern.littleEndian) { tail += $0 } }
        handle.write(Data(tail))
        try handle.close()

        let before = residentBytes()
        let file = try GGUFFile(path: url.path)
        #expect(try file.tensor("big").byteCount == 1_200_000_000)
        #expect(try file.floats("small") == [1.5, -2, 0.25, 8])
        if let before, let after = residentBytes() {
            #expect(after - before < 64 << 20, "resident memory grew by \(after - before) bytes")
        }
    }

    /// The resident set size from /proc/self/statm (Linux); nil elsewhere.
    func residentBytes() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}

/// Malformed files made from the valid fixtures by byte surgery: each an error naming the
/// file and the key or tensor at fault.
struct GGUFMalformedTests {
    /// Where `key` (a metadata key or tensor name, with its uint64 length before it) ends.
    static func end(of key: String, in bytes: [UInt8]) -> Int {
        var length = UInt64(key.utf8.count).littleEndian
        let needle = withUnsafeBytes(of: &length) { Array($0) } + Array(key.utf8)
        for i in 0...(bytes.count - needle.count) where Array(bytes[i..<(i + needle.count)]) == needle { return i + needle.count }
        Issue.record("'\(key)' not found")
        return 0
    }

    static func put64(_ value: UInt64, at offset: Int, in bytes: inout [UInt8]) {
        for i in 0..<8 { bytes[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))) }
    }

    static func put32(_ value: UInt32, at offset: Int, in bytes: inout [UInt8]) {
        for i in 0..<4 { bytes[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(i))) }
    }

    /// Writes `bytes` to a temporary file and opens it (then decodes every tensor); the
    /// error, which must name the file.
    static func error(_ bytes: [UInt8]) throws -> GGUFError? {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("nmp-gguf-\(UUID().uuidString).gguf")
        try Data(bytes).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        do throws(GGUFError) {
            let file = try GGUFFile(path: url.path)
            for t in file.tensors { _ = try file.floats(t.name) }
            return nil
        } catch {
            #expect(error.file == url.path)
            #expect(error.description.hasPrefix(url.path + ": "))
            return error
        }
    }

    static var valid: [UInt8] { get throws { try GGUFFixtures.bytes("tensors.gguf") } }

    @Test func truncatedHeader() throws {
        for cut in [0, 3, 4, 10, 20] {
            let e = try Self.error(Array(Self.valid.prefix(cut)))
            #expect(e?.key == "" && e?.tensor == "" && e?.message.contains(cut < 4 ? "magic" : cut < 24 ? "needs" : "truncated") == true, "\(cut): \(String(describing: e))")
        }
    }

    @Test func truncatedMetadataNamesTheKey() throws {
        let bytes = try Self.valid
        let at = Self.end(of: "test.strings", in: bytes)
        // Inside "hello", the third string (the 32 bytes the count of 4 needs are there).
        let e = try Self.error(Array(bytes.prefix(at + 4 + 4 + 8 + (8 + 3) + (8 + 4) + 8 + 2)))
        #expect(e?.key == "test.strings" && e?.message.contains("2 left in the file") == true, "\(String(describing: e))")
    }

    @Test func truncatedTensorInfoNamesTheTensor() throws {
        let bytes = try Self.valid
        let e = try Self.error(Array(bytes.prefix(Self.end(of: "t.q8_0", in: bytes) + 6)))
        #expect(e?.tensor == "t.q8_0" && e?.message.hasPrefix("truncated") == true, "\(String(describing: e))")
    }

    @Test func truncatedTensorDataNamesTheTensor() throws {
        let bytes = try Self.valid
        let e = try Self.error(Array(bytes.dropLast(40)))
        #expect(e?.tensor == "t.tq1_0.mixed" && e?.message.contains("ends beyond the file") == true, "\(String(describing: e))")
    }

    @Test func wrongMagic() throws {
        var bytes = try Self.valid
        bytes[0] = UInt8(ascii: "X")
        let e = try Self.error(bytes)
        #expect(e?.message.contains("is not 'GGUF'") == true, "\(String(describing: e))")
    }

    @Test(arguments: [UInt32(1), 4, 0x0300_0000])
    func unsupportedVersion(_ version: UInt32) throws {
        var bytes = try Self.valid
        Self.put32(version, at: 4, in: &bytes)
        let e = try Self.error(bytes)
        #expect(e?.message == "header: version \(version) is not supported (2 or 3)", "\(String(describing: e))")
    }

    /// t.tq2_0 ([256, 3] TQ2_0, 198 bytes) made a [256, 1] Q4_K (144 bytes): the file opens,
    /// decoding names the tensor and its type.
    @Test func q4KTensorIsAnErrorNamingItsType() throws {
        var bytes = try Self.valid
        let at = Self.end(of: "t.tq2_0", in: bytes)                  // n_dims, ne[0], ne[1], type
        Self.put64(1, at: at + 4 + 8, in: &bytes)
        Self.put32(12, at: at + 4 + 16, in: &bytes)
        let e = try Self.error(bytes)
        #expect(e?.tensor == "t.tq2_0" && e?.message.contains("Q4_K") == true, "\(String(describing: e))")
    }

    @Test func unknownTypeIdNamesTheTensor() throws {
        var bytes = try Self.valid
        let at = Self.end(of: "t.f16", in: bytes)
        Self.put32(77, at: at + 4 + 16, in: &bytes)
        let e = try Self.error(bytes)
        #expect(e?.tensor == "t.f16" && e?.message.contains("77") == true, "\(String(describing: e))")
    }

    @Test func stringLengthBeyondTheFile() throws {
        var bytes = try Self.valid
        let at = Self.end(of: "test.string", in: bytes)               // value type, then length
        Self.put64(1 << 40, at: at + 4, in: &bytes)
        let e = try Self.error(bytes)
        #expect(e?.key == "test.string" && e?.message.contains("length") == true, "\(String(describing: e))")
        // A key's own length: the pair is named by its index.
        var first = try Self.valid
        Self.put64(UInt64.max, at: 24, in: &first)
        let k = try Self.error(first)
        #expect(k?.message.hasPrefix("metadata pair 0 of ") == true, "\(String(describing: k))")
        // A tensor name's length.
        var name = try Self.valid
        Self.put64(1 << 50, at: Self.end(of: "t.f32", in: name) - 5 - 8, in: &name)
        let t = try Self.error(name)
        #expect(t?.message.hasPrefix("tensor info 0 of 8: name length") == true, "\(String(describing: t))")
    }

    @Test func arrayLengthBeyondTheFile() throws {
        for (key, count) in [("test.ints", UInt64(600)), ("test.strings", 1 << 61), ("test.nested", UInt64.max)] {
            var bytes = try Self.valid
            let at = Self.end(of: key, in: bytes)                        // value type, element type, count
            Self.put64(count, at: at + 8, in: &bytes)
            let e = try Self.error(bytes)
            #expect(e?.key == key && e?.message.contains("array length") == true, "\(String(describing: e))")
        }
    }

    @Test func countsBeyondTheFile() throws {
        for field in [8, 16] {
            var bytes = try Self.valid
            Self.put64(1 << 40, at: field, in: &bytes)
            let e = try Self.error(bytes)
            #expect(e?.message.contains(field == 8 ? "tensor count" : "metadata pair count") == true, "\(String(describing: e))")
        }
    }

    /// Offsets of t.f16 (the second tensor, at data offset 64): onto t.f32's data, past the
    /// end, off the alignment.
    @Test func badOffsetsNameTheTensor() throws {
        let bytes = try Self.valid
        let at = Self.end(of: "t.f16", in: bytes) + 4 + 16 + 4       // its offset field
        for (offset, expected) in [(UInt64(0), "overlaps tensor 't.f32'"), (1 << 20, "ends beyond the file"),
                                   (UInt64(Int.max) + 1, "beyond any file"), (65, "not a multiple of the alignment 32")] {
            var b = bytes
            Self.put64(offset, at: at, in: &b)
            let e = try Self.error(b)
            #expect(e?.tensor == "t.f16" && e?.message.contains(expected) == true, "\(offset): \(String(describing: e))")
        }
    }

    @Test(arguments: [UInt32(0), 48, 3])
    func badAlignment(_ alignment: UInt32) throws {
        var bytes = try GGUFFixtures.bytes("i2s.gguf")
        Self.put32(alignment, at: Self.end(of: "general.alignment", in: bytes) + 4, in: &bytes)
        let e = try Self.error(bytes)
        #expect(e?.key == "general.alignment" && e?.message.contains("power of two") == true, "\(String(describing: e))")
    }

    @Test func badBoolAndValueType() throws {
        var bytes = try Self.valid
        bytes[Self.end(of: "test.bool", in: bytes) + 4] = 2
        #expect(try Self.error(bytes)?.key == "test.bool")
        var type = try Self.valid
        Self.put32(13, at: Self.end(of: "test.u8", in: type), in: &type)
        let e = try Self.error(type)
        #expect(e?.key == "test.u8" && e?.message.contains("value type 13") == true, "\(String(describing: e))")
    }

    @Test func tooManyDimensions() throws {
        var bytes = try Self.valid
        Self.put32(5, at: Self.end(of: "t.f32", in: bytes), in: &bytes)
        #expect(try Self.error(bytes)?.tensor == "t.f32")
    }

    @Test func i2sCode3IsNotATrit() throws {
        var bytes = try GGUFFixtures.bytes("i2s.gguf")
        let file = try GGUFFile(bytes: bytes, source: "i2s")
        let start = file.dataOffset + (try file.tensor("t.i2_s")).offset
        bytes[start + 5] = 0xff                                        // codes 3 for elements 5, 37, 69, 101
        #expect(throws: GGUFError(file: "x", tensor: "t.i2_s", message: "I2_S element 5 has code 3, which is not a trit (0, 1, 2 for -1, 0, +1)")) {
            _ = try GGUFFile(bytes: bytes, source: "x").trits("t.i2_s")
        }
    }

    @Test func directoryAndMissingFile() throws {
        #expect(throws: GGUFError.self) { _ = try GGUFFile(path: FileManager.default.temporaryDirectory.path) }
        #expect(throws: GGUFError.self) { _ = try GGUFFile(path: "/nonexistent/x.gguf") }
    }
}
