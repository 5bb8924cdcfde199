import NMPTrits

extension MicrocodeImage {
    /// The image as `.nmc` bytes (ISA.md "Microcode image"): header, section table,
    /// then each non-empty section in kind order, each starting on a 4-byte boundary.
    public func encoded() -> [UInt8] {
        var sections: [(SectionKind, [UInt8])] = [(.code, code.flatMap { littleEndian($0) })]
        if !weightData.isEmpty { sections.append((.weightData, weightData)) }
        if !activationData.isEmpty { sections.append((.activationData, activationData)) }
        if !dramData.isEmpty { sections.append((.dramData, dramData)) }
        if !symbols.isEmpty { sections.append((.symbols, encodedSymbols())) }
        if !requirements.isEmpty { sections.append((.requirements, encodedRequirements())) }

        var offset = ImageLayout.headerSize + ImageLayout.sectionEntrySize * sections.count
        var table: [UInt8] = []
        var body: [UInt8] = []
        for (kind, bytes) in sections {
            let padding = (4 - offset % 4) % 4
            body += [UInt8](repeating: 0, count: padding)
            offset += padding
            table += littleEndian(kind.rawValue) + littleEndian(UInt32(offset))
                + littleEndian(UInt32(bytes.count)) + littleEndian(UInt32(0))
            body += bytes
            offset += bytes.count
        }
        let tail = table + body
        let fileSize = ImageLayout.headerSize + tail.count
        var header = ImageLayout.magic
        header += littleEndian(ImageLayout.version)
        header += littleEndian(packing == .twoBit ? ImageLayout.flagTwoBitPacking : 0)
        header += littleEndian(entry)
        header += littleEndian(UInt32(sections.count))
        header += littleEndian(UInt32(fileSize))
        header += [0, 0, 0, 0]  // checksum, filled in below
        header += [UInt8](repeating: 0, count: 8)
        var file = header + tail
        file.replaceSubrange(ImageLayout.checksumOffset..<ImageLayout.checksumOffset + 4,
                             with: littleEndian(CRC32.checksum(file)))
        return file
    }

    private func encodedRequirements() -> [UInt8] {
        var out = littleEndian(UInt32(requirements.count))
        for requirement in requirements.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            out.append(requirement.key.rawValue)
            out += [UInt8](repeating: 0, count: 7)
            out += littleEndian(UInt64(bitPattern: requirement.value))
        }
        return out
    }

    private func encodedSymbols() -> [UInt8] {
        var out = littleEndian(UInt32(symbols.count))
        for symbol in symbols.sorted(by: Symbol.canonicalOrder) {
            let name = Array(symbol.name.utf8)
            out.append(symbol.space.rawValue)
            out.append(UInt8(clamping: name.count))
            out += littleEndian(UInt64(bitPattern: symbol.value))
            out += name.prefix(ImageLayout.maxSymbolName)
        }
        return out
    }
}

/// Little-endian bytes of a fixed-width integer.
func littleEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
    (0..<(T.bitWidth / 8)).map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
}
