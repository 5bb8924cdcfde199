import NMPISA
import NMPSupport

/// Why an instruction issued later than the cycle after its predecessor (ISA.md 6.7).
public enum StallCause: String, CaseIterable, Sendable, Codable {
    case data, sramPort, bankConflict, branch, dmaQueue, dmaWait, drain
    /// Waiting for the ternary array (ISA.md 6.12): its queue of products is full, or a
    /// store or DMA transfer would overwrite bytes a queued product still reads, or another
    /// instruction of the array waits for its queue to drain.
    case array
}

/// What a run counted: cycles, retired instructions, stalls and trit operations; the
/// energy events follow from these and the instruction table (`RunResult.events`).
public struct Counters: Sendable, Equatable {
    /// Total cycles: halt's issue cycle + 1, or the trap cycle for a trapped run.
    public var cycles = 0
    /// Instructions retired (halt included).
    public var retired = 0
    /// Retired instructions per opcode (0 for opcodes that never retired).
    public var retiredByOpcode = CaseTable<Opcode, Int>()
    /// Stall cycles per cause.
    public var stalls = CaseTable<StallCause, Int>()
    /// Trit-MACs of `vmac` and `mmac` by their trit: +1 add, -1 subtract, 0 skip.
    public var tritAdd = 0, tritSub = 0, tritSkip = 0

    public init() {}

    /// Retired instructions per class.
    public var retiredByGroup: CaseTable<InstructionGroup, Int> {
        var groups = CaseTable<InstructionGroup, Int>()
        for (op, n) in retiredByOpcode { groups[op.spec.group] += n }
        return groups
    }

    /// All trit-MACs performed (add + subtract + skip).
    public var tritMACs: Int { tritAdd + tritSub + tritSkip }
}

/// The per-opcode sums the step loop keeps; the event counts are linear in them.
struct OpcodeTally {
    /// Issues of the opcode.
    var count = 0
    /// Sum of vl over those issues.
    var vlSum = 0
    /// Sum of ceil(vl / 4) over those issues.
    var vlTritBytesSum = 0
    /// Sum of DMA lengths (DMA opcodes only).
    var lengthSum = 0
    /// Sums of N and N * vl over the issues of an `mgemm` with N vectors (0 for other
    /// opcodes). N is fixed by the instruction word (E - D + 1), so the step loop does not keep
    /// them: `instruction(_:)` fills them in from a pc's tally.
    var tokensSum = 0, tokensVlSum = 0

    /// Adds another tally's sums.
    mutating func add(_ other: OpcodeTally) {
        count += other.count
        vlSum += other.vlSum
        vlTritBytesSum += other.vlTritBytesSum
        lengthSum += other.lengthSum
        tokensSum += other.tokensSum
        tokensVlSum += other.tokensVlSum
    }

    /// This pc's tally with the token sums of its instruction (ISA.md 7.8: N = E - D + 1).
    func instruction(_ ins: DecodedInstruction) -> OpcodeTally {
        guard ins.gemmLaneBytes != 0 else { return self }
        var t = self
        let n = Int(ins.d - ins.a) + 1
        t.tokensSum = count * n
        t.tokensVlSum = vlSum * n
        return t
    }
}

extension OpcodeTally {
    /// The total of `quantity` over all issues of an opcode on `config`.
    func total(_ quantity: CountQuantity, _ config: MachineConfig) -> Int {
        let vlenTritBytes = (config.vlen + 3) / 4
        return switch quantity {
        case .one: count
        case .vl: vlSum
        case .vlTritBytes: vlTritBytesSum
        case .vlenTritBytes: count * vlenTritBytes
        case .rows: count * config.rows
        case .rowsVlTritBytes: config.rows * vlTritBytesSum
        case .rowsVlenTritBytes: count * config.rows * vlenTritBytes
        case .rowsVl: config.rows * vlSum
        case .rowBytes: count * config.rowBytes
        case .tileBytes: count * config.tileBytes
        case .rowsVlen: count * config.rows * config.vlen
        case .dmaLength: lengthSum
        case .tokens: tokensSum
        case .tokensVl: tokensVlSum
        case .tokensRows: config.rows * tokensSum
        case .tokensRowsVl: config.rows * tokensVlSum
        }
    }
}

/// Energy events of a run: each opcode's counts from the instruction table, applied to the
/// opcode's tallies; trit-MACs split by the trits the run actually met.
func eventCounts(tallies: CaseTable<Opcode, OpcodeTally>, counters: Counters, config: MachineConfig) -> CaseTable<EnergyEvent, Int> {
    var events = CaseTable<EnergyEvent, Int>()
    for (op, tally) in tallies where tally.count > 0 {
        for count in op.spec.energy {
            guard case .event(let event) = count.counted else { continue }
            events[event] += count.terms.reduce(0) { $0 + $1.coefficient * tally.total($1.quantity, config) }
        }
    }
    events[.tritAdd] = counters.tritAdd
    events[.tritSub] = counters.tritSub
    events[.tritSkip] = counters.tritSkip
    return events
}
