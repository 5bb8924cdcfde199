/// Byte-layout constants of the `.nmc` microcode image (ISA.md "Microcode image").
public enum ImageLayout {
    /// "NMPC" in ASCII.
    public static let magic: [UInt8] = [0x4E, 0x4D, 0x50, 0x43]
    /// The only format version this reader accepts.
    public static let version: UInt16 = 1
    public static let headerSize = 32
    /// Where the CRC-32 lives. It covers the whole file with these four bytes read as zero,
    /// so damage to the header is caught as well as damage to the sections.
    public static let checksumOffset = 20
    public static let sectionEntrySize = 16
    /// Flags bit 0: weight data packed with 2 bits per trit (else base 3).
    public static let flagTwoBitPacking: UInt16 = 1
    /// Bytes of one requirement record: u8 key, 7 reserved zero bytes, u64 value.
    public static let requirementSize = 16
    /// Longest symbol name in bytes.
    public static let maxSymbolName = 255
}

/// Section kinds in the section table.
public enum SectionKind: UInt32, CaseIterable, Sendable {
    case code = 1
    case weightData = 2
    case activationData = 3
    case dramData = 4
    case symbols = 5
    case requirements = 6

    public var name: String {
        switch self {
        case .code: "code"
        case .weightData: "weight data"
        case .activationData: "activation data"
        case .dramData: "DRAM data"
        case .symbols: "symbols"
        case .requirements: "requirements"
        }
    }
}
