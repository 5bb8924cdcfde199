import Foundation
import NMPTestSupport
import Testing
@testable import NMPTrits

/// Independent reference packers written straight from the layout definitions, using
/// repeated division and explicit powers rather than the implementation's table.
private enum Reference {
    static func perByte(_ layout: TritPacking) -> Int {
        layout == .base3 ? 5 : 4
    }

    /// Digits (t mod 3) of one byte, trit 0 first, or nil if the byte is invalid.
    static func digits(of byte: UInt8, _ layout: TritPacking) -> [Int]? {
        var out: [Int] = []
        switch layout {
        case .base3:
            var rest = Int(byte)
            for _ in 0..<5 {
                out.append(rest % 3)
                rest /= 3
            }
            return rest == 0 ? out : nil  // anything left over means byte >= 3^5
        case .twoBit:
            for i in 0..<4 {
                out.append(Int(byte) / (1 << (2 * i)) % 4)
            }
            return out.contains(3) ? nil : out
        }
    }

    static func trits(of byte: UInt8, _ layout: TritPacking) -> [Trit]? {
        // Digit 0, 1, 2 stands for trit 0, +1, -1 (t mod 3).
        digits(of: byte, layout)?.map { [Trit.zero, .plus, .minus][$0] }
    }

    /// Packs by summing explicit place values; missing trits are padded as zero trits.
    static func pack(_ trits: [Trit], _ layout: TritPacking) -> [UInt8] {
        let n = perByte(layout)
        let places = layout == .base3 ? [1, 3, 9, 27, 81] : [1, 4, 16, 64]
        var bytes: [UInt8] = []
        for group in stride(from: 0, to: trits.count, by: n) {
            var sum = 0
            for i in 0..<n {
                let trit = group + i < trits.count ? trits[group + i] : .zero
                sum += ((Int(trit.rawValue) % 3) + 3) % 3 * places[i]
            }
            bytes.append(UInt8(sum))
        }
        return bytes
    }
}

@Suite("TritPacking")
struct TritPackingTests {
    // MARK: Layout constants

    @Test("layout constants and raw values")
    func constants() throws {
        #expect(TritPacking.allCases == [.base3, .twoBit])
        #expect(TritPacking.base3.rawValue == "base3")
        #expect(TritPacking.twoBit.rawValue == "2bit")
        #expect(TritPacking(rawValue: "2bit") == .twoBit)
        #expect(TritPacking.base3.tritsPerByte == 5)
        #expect(TritPacking.twoBit.tritsPerByte == 4)
        #expect(TritPacking.base3.bitsPerTrit == 1.6)
        #expect(TritPacking.twoBit.bitsPerTrit == 2.0)
        let json = try JSONEncoder().encode([TritPacking.base3, .twoBit])
        #expect(String(decoding: json, as: UTF8.self) == #"["base3","2bit"]"#)
        #expect(try JSONDecoder().decode([TritPacking].self, from: json) == [.base3, .twoBit])
    }

    @Test("byteCount is ceil(count / tritsPerByte)", arguments: TritPacking.allCases)
    func byteCount(layout: TritPacking) {
        for count in 0...1000 {
            let expected = count / layout.tritsPerByte + (count % layout.tritsPerByte == 0 ? 0 : 1)
            #expect(layout.byteCount(forTrits: count) == expected)
        }
        #expect(layout.byteCount(forTrits: 0) == 0)
        #expect(layout.byteCount(forTrits: 1) == 1)
    }

    // MARK: Exhaustive byte checks

    @Test("every byte value: validity, decoding and re-packing match the reference",
          arguments: TritPacking.allCases)
    func exhaustiveBytes(layout: TritPacking) throws {
        var valid = 0
        for value in 0...255 {
            let byte = UInt8(value)
            let expected = Reference.trits(of: byte, layout)
            #expect(layout.isValid(byte: byte) == (expected != nil), "byte \(byte)")
            #expect(layout.decode(byte: byte) == expected, "byte \(byte)")
            if let expected {
                valid += 1
                #expect(expected.count == layout.tritsPerByte)
                #expect(layout.pack(expected) == [byte], "byte \(byte)")
                #expect(try layout.unpack([byte], count: layout.tritsPerByte) == expected)
            } else {
                #expect(throws: TritPackingError.invalidCode(byteIndex: 0, byte: byte, layout: layout)) {
                    try layout.unpack([byte], count: 1)
                }
            }
        }
        #expect(valid == (layout == .base3 ? 243 : 81))
    }

    @Test("base3: exactly 0...242 are valid, 243...255 are the 13 invalid codes")
    func base3InvalidCodes() {
        let invalid = (0...255).map(UInt8.init).filter { !TritPacking.base3.isValid(byte: $0) }
        #expect(invalid == Array(243...255))
        #expect(invalid.count == 13)
    }

    @Test("twoBit: a byte is valid iff none of its four 2-bit fields is 0b11")
    func twoBitValidity() {
        for value in 0...255 {
            let fields = (0..<4).map { (value >> (2 * $0)) & 0b11 }
            #expect(TritPacking.twoBit.isValid(byte: UInt8(value)) == !fields.contains(0b11))
        }
    }

    @Test("all trit groups pack to distinct valid bytes (a bijection)", arguments: TritPacking.allCases)
    func bijection(layout: TritPacking) throws {
        // Enumerate groups by nested choice over Trit.allCases, not by decoding bytes.
        var groups: [[Trit]] = [[]]
        for _ in 0..<layout.tritsPerByte {
            groups = groups.flatMap { prefix in Trit.allCases.map { prefix + [$0] } }
        }
        #expect(groups.count == (layout == .base3 ? 243 : 81))
        var seen = Set<UInt8>()
        for group in groups {
            let packed = layout.pack(group)
            #expect(packed.count == 1)
            #expect(layout.isValid(byte: packed[0]))
            #expect(layout.decode(byte: packed[0]) == group)
            seen.insert(packed[0])
        }
        #expect(seen.count == groups.count)
        if layout == .base3 { #expect(seen == Set(0...242)) }
    }

    // MARK: Padding

    @Test("partial last byte is padded with zero trits")
    func padding() throws {
        // Padding digits are 0: zero trits, so a zero byte is five zero trits.
        #expect(TritPacking.base3.pack([.plus]) == [1])      // digits 1,0,0,0,0
        #expect(TritPacking.base3.pack([.zero]) == [0])
        #expect(TritPacking.base3.pack([.minus]) == [2])
        #expect(TritPacking.base3.pack([.minus, .plus]) == [5])  // 2 + 1*3
        #expect(TritPacking.base3.pack(Array(repeating: .plus, count: 5) + [.minus]) == [121, 2])  // 1+3+9+27+81
        #expect(TritPacking.twoBit.pack([.plus]) == [0b00_00_00_01])
        #expect(TritPacking.twoBit.pack([.zero]) == [0x00])
        #expect(TritPacking.twoBit.pack([.minus]) == [0b00_00_00_10])
        #expect(TritPacking.twoBit.pack([.plus, .minus, .plus]) == [0b00_01_10_01])
        #expect(TritPacking.twoBit.pack(Array(repeating: .minus, count: 4) + [.plus]) == [0xAA, 0x01])
    }

    @Test("padding trits are ignored on unpack but the byte must still be valid")
    func paddingOnUnpack() throws {
        // 242 = five "-" trits: reading 1 trit ignores the four non-zero padding trits.
        #expect(try TritPacking.base3.unpack([242], count: 1) == [.minus])
        #expect(try TritPacking.twoBit.unpack([0b10_10_10_01], count: 1) == [.plus])
        #expect(throws: TritPackingError.invalidCode(byteIndex: 1, byte: 250, layout: .base3)) {
            try TritPacking.base3.unpack([121, 250], count: 6)
        }
        // Only field 3 (a padding slot for count 5) is 0b11; the byte is still rejected.
        #expect(throws: TritPackingError.invalidCode(byteIndex: 1, byte: 0b11_01_01_01, layout: .twoBit)) {
            try TritPacking.twoBit.unpack([0x55, 0b11_01_01_01], count: 5)
        }
    }

    // MARK: Round trips

    @Test("random vectors of every length 0...300 round-trip and match the reference packer",
          arguments: TritPacking.allCases, 0...300)
    func roundTrip(layout: TritPacking, length: Int) throws {
        var rng = SplitMix64(seed: UInt64(length) &* 0x1000_0001 &+ (layout == .base3 ? 3 : 2))
        let trits = randomTrits(count: length, using: &rng)
        let packed = layout.pack(trits)
        #expect(packed.count == layout.byteCount(forTrits: length))
        #expect(packed == Reference.pack(trits, layout))
        #expect(try layout.unpack(packed, count: length) == trits)
        // Non-array collections and trailing bytes beyond the needed ones (not read).
        #expect(try layout.unpack(packed[...], count: length) == trits)
        #expect(try layout.unpack(packed + [0xFF, 0xFF], count: length) == trits)
    }

    @Test("the unsafe-buffer fast path agrees with the array unpack for lengths 0...300",
          arguments: TritPacking.allCases)
    func fastPathAgrees(layout: TritPacking) throws {
        var rng = SplitMix64(seed: layout == .base3 ? 0xFA57 : 0xFA58)
        var failures: [Int] = []
        for length in 0...300 {
            let trits = randomTrits(count: length, using: &rng)
            let packed = layout.pack(trits)
            let expected = try layout.unpack(packed, count: length).map(\.rawValue)
            // One spare slot holding a sentinel checks that nothing past `count` is written.
            var output = [Int8](repeating: 42, count: length + 1)
            let ok = packed.withUnsafeBufferPointer { bytes in
                output.withUnsafeMutableBufferPointer { layout.unpack(bytes, count: length, into: $0) }
            }
            if !ok || Array(output[..<length]) != expected || output[length] != 42 {
                failures.append(length)
            }
        }
        #expect(failures.isEmpty, "failing lengths: \(failures.prefix(10))")
    }

    @Test("the fast path rejects invalid bytes and short input", arguments: TritPacking.allCases)
    func fastPathRejects(layout: TritPacking) {
        func run(_ bytes: [UInt8], count: Int) -> Bool {
            var output = [Int8](repeating: 0, count: count)
            return bytes.withUnsafeBufferPointer { src in
                output.withUnsafeMutableBufferPointer { layout.unpack(src, count: count, into: $0) }
            }
        }
        let packed = layout.pack(Array(repeating: .plus, count: 40))
        var corrupt = packed
        corrupt[3] = 0xFF  // invalid in both layouts
        #expect(run(packed, count: 40))
        #expect(!run(corrupt, count: 40))
        #expect(!run(Array(packed.dropLast()), count: 40))
        #expect(run([], count: 0))
        #expect(run([0xFF], count: 0))  // nothing needs to be read
    }

    // MARK: Errors

    @Test("an invalid code mid-stream throws with its byte index", arguments: TritPacking.allCases)
    func invalidMidStream(layout: TritPacking) {
        var rng = SplitMix64(seed: 7)
        let packed = layout.pack(randomTrits(count: 50, using: &rng))
        let invalid = (0...255).map(UInt8.init).filter { Reference.digits(of: $0, layout) == nil }
        for index in [0, 4, packed.count - 1] {
            for bad in invalid {
                var corrupt = packed
                corrupt[index] = bad
                #expect(throws: TritPackingError.invalidCode(byteIndex: index, byte: bad, layout: layout)) {
                    try layout.unpack(corrupt, count: 50)
                }
                // A slice keeps its parent's indices; byteIndex is still counted from its start.
                #expect(throws: TritPackingError.invalidCode(byteIndex: index, byte: bad, layout: layout)) {
                    try layout.unpack(([0x00] + corrupt)[1...], count: 50)
                }
            }
        }
    }

    @Test("too few bytes throws with needed and available counts", arguments: TritPacking.allCases)
    func tooFewBytes(layout: TritPacking) throws {
        let packed = layout.pack(Array(repeating: .minus, count: 10))
        let available = packed.count
        let needed = layout.byteCount(forTrits: 10 + layout.tritsPerByte)
        #expect(throws: TritPackingError.tooFewBytes(needed: needed, available: available, layout: layout)) {
            try layout.unpack(packed, count: 10 + layout.tritsPerByte)
        }
        #expect(throws: TritPackingError.tooFewBytes(needed: 1, available: 0, layout: layout)) {
            try layout.unpack([UInt8](), count: 1)
        }
        #expect(try layout.unpack([UInt8](), count: 0) == [])
        #expect(layout.pack([]) == [])
    }

    @Test("error descriptions name the layout and the byte")
    func descriptions() {
        #expect(TritPackingError.invalidCode(byteIndex: 3, byte: 0xF5, layout: .base3).description
            == "byte 3 (0xF5) is not a valid base-3 trit code (valid codes are 0...242)")
        let twoBit = TritPackingError.invalidCode(byteIndex: 0, byte: 0x0C, layout: .twoBit).description
        #expect(twoBit.hasPrefix("byte 0 (0x0C) is not a valid 2-bit trit code"))
        #expect(twoBit.contains("field 1"))
        let short = TritPackingError.tooFewBytes(needed: 3, available: 2, layout: .twoBit).description
        #expect(short.contains("2-bit") && short.contains("3") && short.contains("2"))
    }
}

/// The allocation-free Int8 packer writes exactly the bytes of `pack(_:)`.
struct PointerPackTests {
    @Test(arguments: TritPacking.allCases)
    func pointerPackEqualsArrayPack(_ packing: TritPacking) {
        var rng = SplitMix64(seed: packing == .base3 ? 5 : 6)
        for count in 0...300 {
            let trits = (0..<count).map { _ in [Trit.minus, .zero, .plus][Int(rng.next() % 3)] }
            let values = trits.map(\.rawValue)
            var bytes = [UInt8](repeating: 0xFF, count: packing.byteCount(forTrits: count))
            values.withUnsafeBufferPointer { v in
                bytes.withUnsafeMutableBufferPointer { b in
                    if let source = v.baseAddress, let destination = b.baseAddress {
                        packing.pack(source, count: count, into: destination)
                    }
                }
            }
            #expect(bytes == packing.pack(trits), "\(count) trits")
        }
    }
}
