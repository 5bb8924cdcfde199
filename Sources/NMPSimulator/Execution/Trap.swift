/// Why the machine stopped before `halt` (ISA.md 7.10).
public enum TrapCause: String, CaseIterable, Sendable, Codable {
    /// pc outside the code, or a word that breaks a decoding rule of ISA.md 5.2.
    case illegalInstruction
    /// A `loop` word whose end offset is below 2 (an empty body).
    case illegalLoop
    /// A load or store beyond the end of its memory.
    case outOfBounds
    /// `lw`, `sw`, `lda` or `sta` at an address that is not a multiple of 4, or `ldbf`,
    /// `stbf`, `ldhf` or `sthf` at one that is not a multiple of 2.
    case misaligned
    /// `ldt`/`ldm` read a byte that is not a valid code of the packing layout.
    case invalidTritCode
    /// A DMA transfer whose source or destination range is not inside its memory.
    case dmaFault
    /// A `loop` pushed onto a full loop stack.
    case loopOverflow
    /// The run's cycle budget is exhausted (a simulator option, not a machine fault).
    case cycleLimit

    /// What to do about it, for reports.
    public var advice: String {
        switch self {
        case .illegalInstruction: "check the jump target or that the program ends in halt"
        case .illegalLoop: "a loop body must hold at least one instruction"
        case .outOfBounds: "the address plus the access size exceeds the memory; check the base register and offset"
        case .misaligned: "word and accumulator accesses need an address that is a multiple of 4, bfloat16 and half-precision lanes a multiple of 2"
        case .invalidTritCode: "weight SRAM bytes must be valid packed trits of the configured packing"
        case .dmaFault: "the transfer's source or destination range exceeds its memory"
        case .loopOverflow: "too many nested loops (or loops left by a branch) for the config's loopDepth"
        case .cycleLimit: "the program did not halt in time; raise --max-cycles if it is meant to run longer"
        }
    }
}

/// An architectural trap: the cause, where and when, and details such as the address.
public struct Trap: Error, Sendable, Equatable {
    public var cause: TrapCause
    /// The instruction index of the trapping instruction.
    public var pc: Int
    /// Its word, or nil when pc is outside the code.
    public var word: UInt32?
    /// The cycle at which the trap was raised.
    public var cycle: Int
    /// The failed access, offending byte and so on.
    public var detail: String

    public init(cause: TrapCause, pc: Int, word: UInt32?, cycle: Int, detail: String) {
        self.cause = cause
        self.pc = pc
        self.word = word
        self.cycle = cycle
        self.detail = detail
    }
}

/// Why an image cannot be loaded onto a machine (the run does not start).
public struct LoadError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
