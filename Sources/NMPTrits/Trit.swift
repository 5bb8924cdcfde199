/// A balanced-ternary digit.
///
/// The raw value is the digit's numeric value, so `Int8(trit.rawValue)` can be fed
/// straight into multiply-accumulate arithmetic without a lookup.
public enum Trit: Int8, CaseIterable, Sendable, Hashable, CustomStringConvertible {
    case minus = -1, zero = 0, plus = 1

    /// The symbol used in trit literals: "-", "0", "+".
    public var symbol: Character {
        switch self {
        case .minus: "-"
        case .zero: "0"
        case .plus: "+"
        }
    }

    /// The literal symbol, so that interpolating a trit prints what the assembler accepts.
    public var description: String { String(symbol) }

    /// Parses one literal symbol ("-", "0" or "+"); nil for any other character.
    public init?(symbol: Character) {
        switch symbol {
        case "-": self = .minus
        case "0": self = .zero
        case "+": self = .plus
        default: return nil
        }
    }

    /// The trit with the opposite value (`-value`); negating `.zero` gives `.zero`.
    public var negated: Trit {
        switch self {
        case .minus: .plus
        case .zero: .zero
        case .plus: .minus
        }
    }
}
