/// A machine quantity an energy count is a multiple of (ISA.md 3.3).
public enum CountQuantity: Hashable, Sendable {
    /// The constant 1.
    case one
    /// The active vector length at issue.
    case vl
    /// ceil(vl / 4): bytes of vl trits in a trit register (2 bits each).
    case vlTritBytes
    /// ceil(VLEN / 4): bytes of a whole trit row register.
    case vlenTritBytes
    /// ROWS.
    case rows
    /// ROWS * ceil(vl / 4).
    case rowsVlTritBytes
    /// ROWS * ceil(VLEN / 4).
    case rowsVlenTritBytes
    /// ROWS * vl: the trit-MACs of one `mmac`.
    case rowsVl
    /// ROWBYTES: bytes of one packed trit row.
    case rowBytes
    /// ROWS * ROWBYTES: bytes of one packed tile.
    case tileBytes
    /// ROWS * VLEN: the values of one whole tile (an `hgemm` tile holds them as binary16).
    case rowsVlen
    /// The byte count x[rn] of a DMA transfer.
    case dmaLength
    /// The int8 vectors (tokens) an `mgemm` multiplies: N = E - D + 1 for its accumulators aD ... aE.
    case tokens
    /// tokens * vl, tokens * ROWS and tokens * ROWS * vl.
    case tokensVl, tokensRows, tokensRowsVl

    /// The quantity as ISA.md writes it.
    public var formula: String {
        switch self {
        case .one: "1"
        case .vl: "vl"
        case .vlTritBytes: "ceil(vl/4)"
        case .vlenTritBytes: "ceil(VLEN/4)"
        case .rows: "ROWS"
        case .rowsVlTritBytes: "ROWS*ceil(vl/4)"
        case .rowsVlenTritBytes: "ROWS*ceil(VLEN/4)"
        case .rowsVl: "ROWS*vl"
        case .rowBytes: "ROWBYTES"
        case .tileBytes: "ROWS*ROWBYTES"
        case .rowsVlen: "ROWS*VLEN"
        case .dmaLength: "len"
        case .tokens: "N"
        case .tokensVl: "N*vl"
        case .tokensRows: "N*ROWS"
        case .tokensRowsVl: "N*ROWS*vl"
        }
    }
}

/// `coefficient` times a quantity.
public struct CountTerm: Hashable, Sendable {
    public let coefficient: Int
    public let quantity: CountQuantity

    public init(_ coefficient: Int, _ quantity: CountQuantity) {
        self.coefficient = coefficient
        self.quantity = quantity
    }

    /// "4*vl", "vl", "12", "ROWS*ceil(vl/4)".
    public var formula: String {
        if quantity == .one { return "\(coefficient)" }
        return coefficient == 1 ? quantity.formula : "\(coefficient)*\(quantity.formula)"
    }
}

/// How many units of one energy event an instruction counts each time it issues.
public struct EventCount: Hashable, Sendable {
    /// What is counted.
    public enum Counted: Hashable, Sendable {
        /// One event, counted `terms` times.
        case event(EnergyEvent)
        /// Trit-MACs: `terms` in total, each one `tritAdd`, `tritSub` or `tritSkip` by the
        /// value of its trit (known only when the instruction runs).
        case tritMACs
    }

    public let counted: Counted
    /// The count: the sum of the terms.
    public let terms: [CountTerm]

    public init(_ counted: Counted, _ terms: [CountTerm]) {
        self.counted = counted
        self.terms = terms
    }

    /// The events this count can produce.
    public var events: [EnergyEvent] {
        switch counted {
        case .event(let event): [event]
        case .tritMACs: [.tritAdd, .tritSub, .tritSkip]
        }
    }

    /// The count as ISA.md's per-instruction "Energy:" lines write it, for example
    /// "`registerRead` 4 + vl" or "`tritAdd`/`tritSub`/`tritSkip` ROWS*vl".
    public var description: String {
        let names = events.map { "`\($0.rawValue)`" }.joined(separator: "/")
        return names + " " + terms.map(\.formula).joined(separator: " + ")
    }
}

extension EventCount {
    /// `event` counted `coefficient` times `quantity`.
    static func count(_ event: EnergyEvent, _ coefficient: Int, _ quantity: CountQuantity = .one) -> EventCount {
        EventCount(.event(event), [CountTerm(coefficient, quantity)])
    }

    /// `event` counted as a sum of terms.
    static func count(_ event: EnergyEvent, _ terms: [CountTerm]) -> EventCount {
        EventCount(.event(event), terms)
    }
}
