import NMPTrits

extension MicrocodeImage {
    /// The image as `.nmc` bytes (ISA.md "Microcode image"): header, section table,
    /// then each non-empty section in kind order, each starting on a 4-byte boundary.
    public func encoded() -> [UInt8] {
        // Section contents are referenced, not copied, until they go into the one output
        // array: a large image costs its own size once more, not several times.
        let codeBytes = code.flatMap { littleEndian($0) }
        let symbolBytes = symbols.isEmpty ? [] : encodedSymbols()
        let requirementBytes = requirements.isEmpty ? [] : encodedRequirements()
        let all: [(SectionKind, [UInt8])] = [(.code, codeBytes), (.weightData, weightData), (.activationData, activationData),
                                             (.dramData, dramData), (.symbols, symbolBytes), (.requirements, requirementBytes)]
        let sections = all.filter { $0.0 == .code || !$0.1.isEmpty }

        var offset = ImageLayout.headerSize + ImageLayout.sectionEntrySize * sections.count
        var table: [UInt8] = []
        var placed: [(offset: Int, bytes: [UInt8])] = []
        for (kind, bytes) in sections {
            offset += (4 - offset % 4) % 4
            table += littleEndian(kind.rawValue) + littleEndian(UInt32(offset))
                + littleEndian(UInt32(bytes.count)) + littleEndian(UInt32(0))
            placed.append((offset, bytes))
            offset += bytes.count
        }
        let fileSize = offset
        var file = ImageLayout.magic
        file.reserveCapacity(fileSize)
        file += littleEndian(ImageLayout.version)
        file += littleEndian(packing == .twoBit ? ImageLayout.flagTwoBitPacking : 0)
        file += littleEndian(entry)
        file += littleEndian(UInt32(sections.count))
        file += littleEndian(UInt32(fileSize))
        file += [0, 0, 0, 0]  // checksum, filled in below
        file += [UInt8](repeating: 0, count: 8)
        file += table
        for (start, bytes) in placed {
            file += [UInt8](repeating: 0, count: start - file.count)
            file += bytes
        }
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
