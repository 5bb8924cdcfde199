import NMPTrits

extension MicrocodeImage {
    /// Reads `.nmc` bytes, checking every field; throws an `ImageError` naming the
    /// offset or section at fault. Never traps, whatever the bytes.
    ///
    /// - Parameter verifyChecksum: false skips only the CRC check (fuzzing uses it to
    ///   reach the structural checks behind it).
    public init(decoding bytes: [UInt8], verifyChecksum: Bool = true) throws(ImageError) {
        var reader = ByteReader(bytes: bytes)
        let magic = try reader.bytes(4, "magic")
        guard magic == ImageLayout.magic else { throw .badMagic(magic) }
        let version: UInt16 = try reader.integer("version")
        guard version == ImageLayout.version else { throw .unsupportedVersion(version) }
        let flags: UInt16 = try reader.integer("flags")
        guard flags & ~ImageLayout.flagTwoBitPacking == 0 else { throw .reservedFlags(flags) }
        let entry: UInt32 = try reader.integer("entry point")
        let sectionCount: UInt32 = try reader.integer("section count")
        let fileSize: UInt32 = try reader.integer("file size")
        let storedCRC: UInt32 = try reader.integer("checksum")
        let reserved: UInt64 = try reader.integer("reserved header bytes")
        guard reserved == 0 else { throw .reservedNotZero(offset: 24) }
        guard Int(fileSize) == bytes.count else { throw .fileSizeMismatch(header: fileSize, actual: bytes.count) }
        guard sectionCount <= UInt32(SectionKind.allCases.count) else {
            throw .tooManySections(sectionCount)
        }
        let tableEnd = ImageLayout.headerSize + ImageLayout.sectionEntrySize * Int(sectionCount)
        guard tableEnd <= bytes.count else {
            throw .truncated(what: "section table of \(sectionCount) entries", offset: ImageLayout.headerSize,
                             needed: tableEnd - ImageLayout.headerSize, fileSize: bytes.count)
        }
        if verifyChecksum {
            // The CRC over the file with the checksum field read as zero, without a copy of it.
            var crc = CRC32.State()
            crc.update(bytes[..<ImageLayout.checksumOffset])
            crc.update([0, 0, 0, 0])
            crc.update(bytes[(ImageLayout.checksumOffset + 4)...])
            let computed = crc.value
            guard computed == storedCRC else { throw .checksumMismatch(stored: storedCRC, computed: computed) }
        }

        var found: [SectionKind: Range<Int>] = [:]
        for index in 0..<Int(sectionCount) {
            let rawKind: UInt32 = try reader.integer("section \(index) kind")
            let offset: UInt32 = try reader.integer("section \(index) offset")
            let size: UInt32 = try reader.integer("section \(index) size")
            let pad: UInt32 = try reader.integer("section \(index) reserved word")
            guard let kind = SectionKind(rawValue: rawKind) else { throw .unknownSection(index: index, kind: rawKind) }
            guard found[kind] == nil else { throw .duplicateSection(index: index, kind: kind) }
            guard pad == 0 else { throw .reservedNotZero(offset: reader.offset - 4) }
            let end = UInt64(offset) + UInt64(size)
            guard Int(offset) >= tableEnd, end <= UInt64(bytes.count) else {
                throw .sectionOutOfBounds(index: index, kind: kind, offset: offset, size: size, fileSize: bytes.count)
            }
            let range = Int(offset)..<Int(end)
            if let other = found.first(where: { $0.value.overlaps(range) }) {
                throw .sectionsOverlap(first: other.key, second: kind)
            }
            found[kind] = range
        }

        guard let codeRange = found[.code] else { throw .missingCode }
        guard codeRange.count % 4 == 0 else { throw .misalignedCode(size: UInt32(codeRange.count)) }
        let code = stride(from: codeRange.lowerBound, to: codeRange.upperBound, by: 4).map { at in
            UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
        }
        guard Int(entry) < code.count else { throw .entryOutOfRange(entry: entry, codeCount: code.count) }

        func slice(_ kind: SectionKind) -> [UInt8] { found[kind].map { Array(bytes[$0]) } ?? [] }
        let symbols = try found[.symbols].map { range throws(ImageError) in try Self.decodeSymbols(bytes, range) } ?? []
        let limits: [SymbolSpace: Int] = [.code: code.count, .weightSRAM: found[.weightData]?.count ?? 0,
                                          .activationSRAM: found[.activationData]?.count ?? 0, .dram: found[.dramData]?.count ?? 0]
        for (index, symbol) in symbols.enumerated() {
            guard let limit = limits[symbol.space] else { continue }
            guard (0...Int64(limit)).contains(symbol.value) else {
                throw .badSymbol(index: index, offset: found[.symbols]!.lowerBound,
                                 reason: "'\(symbol.name)' = \(symbol.value) lies outside its section (0...\(limit))")
            }
        }
        let requirements = try found[.requirements].map { range throws(ImageError) in try Self.decodeRequirements(bytes, range) } ?? []
        self.init(entry: entry, packing: flags & ImageLayout.flagTwoBitPacking != 0 ? .twoBit : .base3,
                  code: code, weightData: slice(.weightData), activationData: slice(.activationData),
                  dramData: slice(.dramData), symbols: symbols, requirements: requirements)
    }

    private static func decodeRequirements(_ bytes: [UInt8], _ range: Range<Int>) throws(ImageError) -> [Requirement] {
        var reader = ByteReader(bytes: Array(bytes[range]), base: range.lowerBound)
        let count: UInt32 = try reader.integer("requirement count")
        guard UInt64(count) * UInt64(ImageLayout.requirementSize) + 4 == UInt64(range.count) else {
            throw .badRequirement(index: 0, offset: range.lowerBound,
                                  reason: "count \(count) does not match the \(range.count)-byte section (4 + 16 bytes per requirement)")
        }
        var requirements: [Requirement] = []
        for index in 0..<Int(count) {
            let at = reader.offset
            let rawKey: UInt8 = try reader.integer("requirement \(index) key")
            let reserved = try reader.bytes(7, "requirement \(index) reserved bytes")
            let value = Int64(bitPattern: try reader.integer("requirement \(index) value") as UInt64)
            guard let key = RequirementKey(rawValue: rawKey) else {
                throw .badRequirement(index: index, offset: at, reason: "unknown key \(rawKey)")
            }
            guard reserved.allSatisfy({ $0 == 0 }) else { throw .badRequirement(index: index, offset: at + 1, reason: "reserved bytes are not zero") }
            guard (1...RequirementKey.maxValue).contains(value) else {
                throw .badRequirement(index: index, offset: at + 8, reason: "\(key.name) = \(value) is outside 1...\(RequirementKey.maxValue)")
            }
            if let previous = requirements.last, previous.key.rawValue >= key.rawValue {
                throw .badRequirement(index: index, offset: at, reason: "'\(key.name)' is out of order or repeated (requirements are sorted by key, one per key)")
            }
            requirements.append(Requirement(key, value))
        }
        return requirements
    }

    private static func decodeSymbols(_ bytes: [UInt8], _ range: Range<Int>) throws(ImageError) -> [Symbol] {
        var reader = ByteReader(bytes: Array(bytes[range]), base: range.lowerBound)
        let count: UInt32 = try reader.integer("symbol count")
        // Each symbol takes at least 11 bytes; a larger count cannot fit.
        guard UInt64(count) * 11 <= UInt64(range.count) else {
            throw .badSymbol(index: 0, offset: range.lowerBound, reason: "count \(count) cannot fit in a \(range.count)-byte section")
        }
        var symbols: [Symbol] = []
        var names = Set<String>()
        for index in 0..<Int(count) {
            let at = reader.offset
            let rawSpace: UInt8 = try reader.integer("symbol \(index) space")
            let length: UInt8 = try reader.integer("symbol \(index) name length")
            let value: UInt64 = try reader.integer("symbol \(index) value")
            let nameBytes = try reader.bytes(Int(length), "symbol \(index) name")
            guard let space = SymbolSpace(rawValue: rawSpace) else {
                throw .badSymbol(index: index, offset: at, reason: "unknown space \(rawSpace)")
            }
            guard let name = String(validating: nameBytes, as: UTF8.self), Self.isSymbolName(name) else {
                throw .badSymbol(index: index, offset: at, reason: "name is not a valid identifier")
            }
            guard names.insert(name).inserted else {
                throw .badSymbol(index: index, offset: at, reason: "duplicate name '\(name)'")
            }
            let symbol = Symbol(name: name, space: space, value: Int64(bitPattern: value))
            if let previous = symbols.last, !Symbol.canonicalOrder(previous, symbol) {
                throw .badSymbol(index: index, offset: at, reason: "'\(name)' is out of order (symbols are sorted by space, value, name)")
            }
            symbols.append(symbol)
        }
        guard reader.offset == range.upperBound else {
            throw .badSymbol(index: Int(count), offset: reader.offset, reason: "\(range.upperBound - reader.offset) unused bytes after the last symbol")
        }
        return symbols
    }

    /// Whether `name` can name a symbol: an assembler identifier that is not a register name.
    public static func isSymbolName(_ name: String) -> Bool {
        guard isIdentifier(name) else { return false }
        guard let first = name.first, RegisterClass(prefix: first) != nil else { return true }
        return !name.dropFirst().allSatisfy { $0.isASCII && $0.isNumber } || name.count == 1
    }

    /// Whether `name` is an assembler identifier: a letter or `_`, then letters, digits, `_`
    /// or `.` (ASCII only).
    public static func isIdentifier(_ name: String) -> Bool {
        guard let first = name.utf8.first, first == UInt8(ascii: "_") || isLetter(first) else { return false }
        return name.utf8.allSatisfy { isLetter($0) || ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") }
    }

    private static func isLetter(_ c: UInt8) -> Bool { (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7A }
}

/// Reads little-endian fields from a byte array, throwing `.truncated` past its end.
struct ByteReader {
    let bytes: [UInt8]
    /// File offset of `bytes[0]`, for messages.
    var base = 0
    private(set) var position = 0

    init(bytes: [UInt8], base: Int = 0) {
        self.bytes = bytes
        self.base = base
    }

    var offset: Int { base + position }

    mutating func bytes(_ count: Int, _ what: String) throws(ImageError) -> [UInt8] {
        guard count <= bytes.count - position else {
            throw .truncated(what: what, offset: offset, needed: count, fileSize: base + bytes.count)
        }
        defer { position += count }
        return Array(bytes[position..<position + count])
    }

    mutating func integer<T: FixedWidthInteger>(_ what: String) throws(ImageError) -> T {
        let raw = try bytes(T.bitWidth / 8, what)
        return raw.reversed().reduce(T.zero) { ($0 << 8) | T(truncatingIfNeeded: $1) }
    }
}
