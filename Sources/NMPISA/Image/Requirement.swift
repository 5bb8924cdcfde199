/// A machine parameter whose value a program depends on, such as VLEN for a program whose
/// trit rows are padded to 13 bytes. The assembler records it from `.require` (ISA.md 8.4),
/// the image keeps it (section kind 6, ISA.md 9.3), and loading the image onto a machine
/// that does not meet it is an error, so such a program cannot run silently wrong.
public enum RequirementKey: UInt8, CaseIterable, Sendable {
    case vlen = 1
    case rows = 2
    case weightSRAM = 3
    case activationSRAM = 4
    case dram = 5

    /// The name in `.require NAME, value`.
    public var name: String {
        switch self {
        case .vlen: "vlen"
        case .rows: "rows"
        case .weightSRAM: "wsram"
        case .activationSRAM: "asram"
        case .dram: "dram"
        }
    }

    public init?(name: String) {
        guard let key = Self.allCases.first(where: { $0.name == name }) else { return nil }
        self = key
    }

    /// True when the machine's value must equal the required one (the vector shape); false
    /// when it must be at least that (memory sizes, in bytes).
    public var exact: Bool { self == .vlen || self == .rows }

    /// What the value means, for messages and documentation.
    public var meaning: String {
        switch self {
        case .vlen: "VLEN, lanes per vector register"
        case .rows: "ROWS, rows per trit matrix register"
        case .weightSRAM: "weight SRAM size in bytes (at least)"
        case .activationSRAM: "activation SRAM size in bytes (at least)"
        case .dram: "DRAM size in bytes (at least)"
        }
    }

    /// The largest value a requirement may state: 2^32 (memory sizes are 32-bit).
    public static let maxValue: Int64 = 1 << 32
}

/// One requirement of a program (see `RequirementKey`).
public struct Requirement: Hashable, Sendable {
    public var key: RequirementKey
    /// At least 1 and at most `RequirementKey.maxValue`.
    public var value: Int64

    public init(_ key: RequirementKey, _ value: Int64) {
        self.key = key
        self.value = value
    }

    /// Whether a machine whose parameter is `actual` meets the requirement.
    public func isMet(by actual: Int) -> Bool {
        key.exact ? Int64(actual) == value : Int64(actual) >= value
    }

    /// The directive that states it: `.require vlen, 64`.
    public var directive: String { ".require \(key.name), \(value)" }
}
