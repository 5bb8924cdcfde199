/// Why bytes are not a valid microcode image. Every case names the byte offset or
/// section at fault, so a message can say where the file is damaged.
public enum ImageError: Error, Equatable, Sendable, CustomStringConvertible {
    case truncated(what: String, offset: Int, needed: Int, fileSize: Int)
    case badMagic([UInt8])
    case unsupportedVersion(UInt16)
    case reservedFlags(UInt16)
    case reservedNotZero(offset: Int)
    case fileSizeMismatch(header: UInt32, actual: Int)
    case checksumMismatch(stored: UInt32, computed: UInt32)
    case tooManySections(UInt32)
    case unknownSection(index: Int, kind: UInt32)
    case duplicateSection(index: Int, kind: SectionKind)
    case sectionOutOfBounds(index: Int, kind: SectionKind, offset: UInt32, size: UInt32, fileSize: Int)
    case sectionsOverlap(first: SectionKind, second: SectionKind)
    case misalignedCode(size: UInt32)
    case missingCode
    case entryOutOfRange(entry: UInt32, codeCount: Int)
    case badSymbol(index: Int, offset: Int, reason: String)
    case badRequirement(index: Int, offset: Int, reason: String)

    public var description: String {
        switch self {
        case .truncated(let what, let offset, let needed, let fileSize):
            "truncated image: \(what) needs bytes \(offset)..<\(offset + needed), but the data ends at byte \(fileSize)"
        case .badMagic(let bytes):
            "not an nmp microcode image: magic is \(bytes.map { "0x" + hex(UInt32($0), digits: 2) }.joined(separator: " ")), expected \"NMPC\""
        case .unsupportedVersion(let v):
            "unsupported image version \(v) at byte 4 (this nmp reads version \(ImageLayout.version))"
        case .reservedFlags(let flags):
            "unknown flags 0x\(hex(UInt32(flags), digits: 4)) at byte 6 (only bit 0, 2-bit packing, is defined)"
        case .reservedNotZero(let offset):
            "reserved field at byte \(offset) is not zero"
        case .fileSizeMismatch(let header, let actual):
            "header at byte 16 says the image is \(header) bytes, but the file has \(actual) (truncated or padded)"
        case .checksumMismatch(let stored, let computed):
            "checksum mismatch: header says 0x\(hex(stored, digits: 8)), contents give 0x\(hex(computed, digits: 8)) (the file is corrupt)"
        case .tooManySections(let count):
            "header at byte 12 claims \(count) sections; an image has at most \(SectionKind.allCases.count)"
        case .unknownSection(let index, let kind):
            "section \(index): unknown kind \(kind)"
        case .duplicateSection(let index, let kind):
            "section \(index): a second \(kind.name) section"
        case .sectionOutOfBounds(let index, let kind, let offset, let size, let fileSize):
            "section \(index) (\(kind.name)): bytes \(offset)..<\(UInt64(offset) + UInt64(size)) lie outside the section area of a \(fileSize)-byte file"
        case .sectionsOverlap(let first, let second):
            "sections \(first.name) and \(second.name) overlap"
        case .misalignedCode(let size):
            "code section size \(size) is not a multiple of 4 (one 32-bit word per instruction)"
        case .missingCode:
            "image has no code section"
        case .entryOutOfRange(let entry, let count):
            "entry point \(entry) is outside the code (\(count) instructions)"
        case .badSymbol(let index, let offset, let reason):
            "symbol \(index) at byte \(offset): \(reason)"
        case .badRequirement(let index, let offset, let reason):
            "requirement \(index) at byte \(offset): \(reason)"
        }
    }
}
