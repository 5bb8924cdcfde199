/// The architectural register files of ISA v1.
///
/// Each file has a one-letter assembly prefix and a fixed count; the 4-bit register
/// fields in an instruction word can name up to 16 entries, and a decoder rejects any
/// field value at or above the file's count.
public enum RegisterClass: String, CaseIterable, Sendable {
    /// 32-bit scalar registers `r0`...`r15`; `r0` always reads 0.
    case scalar
    /// Trit vector registers `t0`...`t7`, VLEN lanes of {-1, 0, +1}.
    case trit
    /// Trit matrix (weight tile) registers `m0`...`m3`, ROWS x VLEN trits.
    case matrix
    /// Int8 activation vector registers `v0`...`v7`, VLEN lanes.
    case vector
    /// Int32 accumulator registers `a0`...`a7`, VLEN lanes.
    case accumulator

    /// The assembly prefix, as in `r3`, `t1`, `m0`, `v2`, `a7`.
    public var prefix: Character {
        switch self {
        case .scalar: "r"
        case .trit: "t"
        case .matrix: "m"
        case .vector: "v"
        case .accumulator: "a"
        }
    }

    /// How many registers the file holds.
    public var count: Int {
        switch self {
        case .scalar: 16
        case .trit: 8
        case .matrix: 4
        case .vector: 8
        case .accumulator: 8
        }
    }

    /// A short noun for diagnostics: "scalar register".
    public var noun: String {
        switch self {
        case .scalar: "scalar register"
        case .trit: "trit vector register"
        case .matrix: "trit matrix register"
        case .vector: "int8 vector register"
        case .accumulator: "accumulator register"
        }
    }

    /// The register file whose assembly prefix is `prefix`, if any.
    public init?(prefix: Character) {
        guard let found = Self.allCases.first(where: { $0.prefix == prefix }) else { return nil }
        self = found
    }

    /// Assembly name of register `index`: `r3`.
    public func name(_ index: Int) -> String { "\(prefix)\(index)" }
}
