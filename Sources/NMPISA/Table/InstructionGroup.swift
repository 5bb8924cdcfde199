/// The instruction classes ISA.md groups the table by; the simulator counts
/// retired instructions per class.
public enum InstructionGroup: String, CaseIterable, Sendable {
    case control
    case scalar
    case branch
    case memory
    case dma
    case ternary
    case accumulator

    /// Section heading in ISA.md.
    public var title: String {
        switch self {
        case .control: "Control"
        case .scalar: "Scalar arithmetic"
        case .branch: "Branches, jumps and loops"
        case .memory: "Loads and stores"
        case .dma: "DMA"
        case .ternary: "Ternary compute"
        case .accumulator: "Accumulator and requantization"
        }
    }
}

/// Everything the tools know about one opcode.
public struct InstructionSpec: Sendable {
    /// Bit layout of the word.
    public let format: InstructionFormat
    /// Operands in assembly order, each tied to its word fields.
    public let operands: [OperandKind]
    /// Class for grouping and counters.
    public let group: InstructionGroup
    /// Issue and latency rule (ISA.md "Timing").
    public let timing: TimingRule
    /// Energy events beyond `.instruction` that the opcode can count.
    public let events: [EnergyEvent]
    /// One-line semantics, as in ISA.md's table.
    public let summary: String
}
