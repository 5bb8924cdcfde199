import NMPTestSupport
import Testing
import NMPTrits
@testable import NMPISA

struct ImageTests {
    static let sample = MicrocodeImage(
        entry: 1, packing: .twoBit,
        code: [Instruction(.nop).word, Instruction(.addi, a: 1, imm: 7).word, Instruction(.halt).word],
        weightData: [0x12, 0x34, 0x56], activationData: [1, 2, 3, 4, 5], dramData: [0xFF],
        symbols: [Symbol(name: "start", space: .code, value: 1), Symbol(name: "N", space: .constant, value: -5),
                  Symbol(name: "w", space: .weightSRAM, value: 3)].sorted(by: Symbol.canonicalOrder),
        requirements: [Requirement(.vlen, 64), Requirement(.activationSRAM, 4096)])

    /// The standard CRC-32 check value (zlib, PNG): "123456789" gives 0xCBF43926.
    @Test func crcCheckValue() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum([UInt8]()) == 0)
    }

    @Test func roundTrip() throws {
        let bytes = Self.sample.encoded()
        #expect(try MicrocodeImage(decoding: bytes) == Self.sample)
    }

    /// The header of a one-instruction image, byte by byte as ISA.md lays it out.
    @Test func headerLayout() throws {
        let bytes = MicrocodeImage(code: [Instruction(.halt).word]).encoded()
        #expect(bytes.count == 32 + 16 + 4)
        #expect(Array(bytes[0..<4]) == Array("NMPC".utf8))
        #expect(bytes[4] == 1 && bytes[5] == 0)           // version 1
        #expect(bytes[6] == 0 && bytes[7] == 0)           // flags: base3
        #expect(Array(bytes[8..<12]) == [0, 0, 0, 0])     // entry
        #expect(Array(bytes[12..<16]) == [1, 0, 0, 0])    // one section
        #expect(Array(bytes[16..<20]) == [52, 0, 0, 0])   // file size
        var zeroed = bytes
        zeroed[20..<24] = [0, 0, 0, 0]
        let crc = CRC32.checksum(zeroed)
        #expect(Array(bytes[20..<24]) == [UInt8(crc & 0xFF), UInt8(crc >> 8 & 0xFF), UInt8(crc >> 16 & 0xFF), UInt8(crc >> 24)])
        #expect(Array(bytes[32..<48]) == [1, 0, 0, 0, 48, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0])
        #expect(Array(bytes[48..<52]) == [1, 0, 0, 0])    // halt
    }

    /// Every proper prefix of a valid image is rejected with an error, never a trap.
    @Test func everyTruncationIsAnError() {
        let bytes = Self.sample.encoded()
        for length in 0..<bytes.count {
            #expect(throws: ImageError.self) { try MicrocodeImage(decoding: Array(bytes.prefix(length))) }
        }
    }

    /// Flipping any single bit is caught (by the checksum, or a structural check).
    @Test func everyBitFlipIsAnError() {
        let bytes = Self.sample.encoded()
        for index in bytes.indices {
            for bit in 0..<8 {
                var damaged = bytes
                damaged[index] ^= 1 << bit
                #expect(throws: ImageError.self) { try MicrocodeImage(decoding: damaged) }
            }
        }
    }

    @Test func namesTheFault() throws {
        var bytes = Self.sample.encoded()
        bytes[0] = 0x41
        #expect(throws: ImageError.badMagic([0x41, 0x4D, 0x50, 0x43])) { try MicrocodeImage(decoding: bytes) }
        bytes = Self.sample.encoded()
        bytes[4] = 9
        #expect(throws: ImageError.unsupportedVersion(9)) { try MicrocodeImage(decoding: bytes) }
        bytes = Self.sample.encoded()
        bytes[6] = 2
        #expect(throws: ImageError.reservedFlags(2)) { try MicrocodeImage(decoding: bytes) }
    }

    /// Structural checks behind the checksum (rewriting the CRC so it passes).
    @Test func sectionOutOfBounds() throws {
        var bytes = Self.sample.encoded()
        // First section entry's size field (bytes 40-43): make it run past the end.
        bytes[40] = 0xFF
        bytes[41] = 0xFF
        #expect(throws: ImageError.sectionOutOfBounds(index: 0, kind: .code, offset: UInt32(bytes[36]), size: 0xFFFF, fileSize: bytes.count)) {
            try MicrocodeImage(decoding: bytes, verifyChecksum: false)
        }
        bytes = Self.sample.encoded()
        bytes[32] = 9  // unknown kind
        #expect(throws: ImageError.unknownSection(index: 0, kind: 9)) { try MicrocodeImage(decoding: bytes, verifyChecksum: false) }
        bytes = Self.sample.encoded()
        bytes[48] = 1  // second section also claims to be code
        #expect(throws: ImageError.duplicateSection(index: 1, kind: .code)) { try MicrocodeImage(decoding: bytes, verifyChecksum: false) }
    }

    @Test func rejectsBadSymbols() {
        for (name, space, value) in [("r3", SymbolSpace.code, Int64(0)), ("3x", .code, 0), ("ok", .code, 99), ("ok", .dram, -1)] {
            var image = Self.sample
            image.symbols = [Symbol(name: name, space: space, value: value)]
            #expect(throws: ImageError.self, "\(name) \(space) \(value)") { try MicrocodeImage(decoding: image.encoded()) }
        }
        var duplicate = Self.sample
        duplicate.symbols = [Symbol(name: "x", space: .code, value: 0), Symbol(name: "x", space: .constant, value: 0)]
        #expect(throws: ImageError.self) { try MicrocodeImage(decoding: duplicate.encoded()) }
    }

    @Test func rejectsEntryOutsideCode() {
        var image = Self.sample
        image.entry = 3
        #expect(throws: ImageError.entryOutOfRange(entry: 3, codeCount: 3)) { try MicrocodeImage(decoding: image.encoded()) }
    }

    /// Random byte strings, with and without a valid header prefix, never trap.
    @Test func randomBytesNeverTrap() {
        var rng = SplitMix64(seed: 0x5EED_0003)
        let valid = Self.sample.encoded()
        for n in 0..<5_000 {
            var bytes = (0..<Int(rng.next() % 120)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            if n % 2 == 0 { bytes = Array(valid.prefix(Int(rng.next() % UInt64(valid.count)))) + bytes }
            _ = try? MicrocodeImage(decoding: bytes, verifyChecksum: n % 3 == 0)
        }
    }

    // MARK: Requirements (section kind 6)

    /// The requirements section as ISA.md 9.3 lays it out: a count, then per requirement the
    /// key byte, seven zero bytes and the value as a little-endian u64, sorted by key.
    @Test func requirementSectionLayout() throws {
        let image = MicrocodeImage(code: [Instruction(.halt).word], requirements: [Requirement(.rows, 32), Requirement(.vlen, 64)])
        let bytes = image.encoded()
        // Two sections: code at 64, requirements at 68 (already 4-aligned).
        #expect(Array(bytes[48..<64]) == [6, 0, 0, 0, 68, 0, 0, 0, 36, 0, 0, 0, 0, 0, 0, 0])
        #expect(Array(bytes[68..<104]) == [2, 0, 0, 0,
                                           1, 0, 0, 0, 0, 0, 0, 0, 64, 0, 0, 0, 0, 0, 0, 0,
                                           2, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0, 0, 0, 0, 0, 0])
        let read = try MicrocodeImage(decoding: bytes)
        #expect(read.requirements == [Requirement(.vlen, 64), Requirement(.rows, 32)])
    }

    /// A damaged requirements section is rejected with a message naming the requirement.
    @Test(arguments: [
        (68 + 4, UInt8(9), "requirement 0 at byte 72: unknown key 9"),
        (68 + 5, UInt8(1), "requirement 0 at byte 73: reserved bytes are not zero"),
        (68 + 4 + 16, UInt8(1), "requirement 1 at byte 88: 'vlen' is out of order or repeated"),
        (68, UInt8(3), "requirement 0 at byte 68: count 3 does not match the 36-byte section"),
    ])
    func damagedRequirementsAreRejected(offset: Int, byte: UInt8, message: String) {
        var bytes = MicrocodeImage(code: [Instruction(.halt).word], requirements: [Requirement(.vlen, 64), Requirement(.rows, 32)]).encoded()
        bytes[offset] = byte
        #expect(throws: ImageError.self) { try MicrocodeImage(decoding: bytes, verifyChecksum: false) }
        do {
            _ = try MicrocodeImage(decoding: bytes, verifyChecksum: false)
        } catch {
            #expect(error.description.contains(message), "\(error)")
        }
    }

    @Test func requirementValuesOutsideTheirRangeAreRejected() {
        for value: Int64 in [0, -1, RequirementKey.maxValue + 1] {
            let bytes = MicrocodeImage(code: [Instruction(.halt).word], requirements: [Requirement(.dram, value)]).encoded()
            #expect(throws: ImageError.self) { try MicrocodeImage(decoding: bytes) }
        }
    }
}
