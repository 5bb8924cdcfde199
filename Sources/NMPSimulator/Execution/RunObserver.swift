/// One retired instruction, for `--trace`.
public struct TraceRecord: Sendable {
    /// Instruction index.
    public var pc: Int
    /// The instruction word.
    public var word: UInt32
    /// The cycle it issued.
    public var cycle: Int
    /// Stall cycles before issue and their cause (`data`, then `dmaQueue`, `dmaWait`, `drain`
    /// or `array`).
    public var dataStall: Int
    public var waitStall: Int
    public var waitCause: StallCause
    /// Stall cycles after issue: SRAM port and bank cycles of a memory access, branch penalty.
    public var sramPortStall: Int, bankConflictStall: Int, branchStall: Int
    /// The vector length the instruction ran with.
    public var vl: Int
    /// The instruction's code region (`CodeRegions`; 0 when none were given).
    public var region: Int = 0
    /// Trit-MACs of the run so far, this instruction's included (ISA.md 3.3).
    public var tritMACs: Int = 0
    /// For `dmaw`, `dmaa` and `dmas`: the bytes of the transfer it enqueued and the transfer's
    /// end cycle (ISA.md 6.5; its data flows over the DRAM channel for the
    /// ceil(bytes / dramBytesPerCycle) cycles before the end). -1 for other instructions.
    public var dmaBytes: Int = -1, dmaEnd: Int = -1
    /// For a matrix product (`mgemm`, `hgemm`, ...): the cycles its work occupies the array, [start, end)
    /// (ISA.md 6.12; the instruction itself holds the issue stage for one cycle). -1 otherwise.
    public var arrayStart: Int = -1, arrayEnd: Int = -1

    /// The cycle the instruction could first issue (ISA.md 6.8's c0).
    public var firstCycle: Int { cycle - dataStall - waitStall }
    /// The cycle the next instruction could first issue: after its issue cycles (memory or
    /// float-unit cycles beyond the first) and a taken branch's penalty.
    public var nextCycle: Int { cycle + 1 + sramPortStall + bankConflictStall + branchStall }

    /// The non-zero stalls, in the order they happened.
    public var stalls: [(cause: StallCause, cycles: Int)] {
        [(.data, dataStall), (waitCause, waitStall), (.sramPort, sramPortStall),
         (.bankConflict, bankConflictStall), (.branch, branchStall)].filter { $0.1 > 0 }
    }
}

/// Watches a run: per-instruction trace records (only when `tracesInstructions`), and a
/// progress call every 2^22 retired instructions. The step loop is specialized for each
/// observer type, so a run without tracing pays nothing for it.
public protocol RunObserver {
    /// Whether `retired(_:)` is called; a constant so the fast path compiles it away.
    static var tracesInstructions: Bool { get }
    /// Called after every retired instruction when `tracesInstructions` is true.
    mutating func retired(_ record: TraceRecord)
    /// Called every 4,194,304 retired instructions.
    mutating func progress(cycle: Int, retired: Int)
    /// Whether `willFetch(_:)` and `ended(_:)` are called; a constant so the fast path
    /// compiles them away. False unless a conforming type says otherwise.
    static var inspectsMachine: Bool { get }
    /// Called between two instructions, before the one at `machine.pc` is fetched, when
    /// `inspectsMachine` is true: a debugger reads the machine here (and may block).
    mutating func willFetch(_ machine: MachineView)
    /// Called once when the run stops (halt or trap), when `inspectsMachine` is true.
    mutating func ended(_ machine: MachineView)
}

extension RunObserver {
    public static var inspectsMachine: Bool { false }
    public mutating func willFetch(_ machine: MachineView) {}
    public mutating func ended(_ machine: MachineView) {}
}

/// Observes nothing: the fast path.
public struct SilentObserver: RunObserver {
    public static var tracesInstructions: Bool { false }
    public init() {}
    public mutating func retired(_ record: TraceRecord) {}
    public mutating func progress(cycle: Int, retired: Int) {}
}

/// Calls a closure with progress.
struct ProgressCallback: RunObserver {
    static var tracesInstructions: Bool { false }
    let callback: (Int, Int) -> Void
    mutating func retired(_ record: TraceRecord) {}
    mutating func progress(cycle: Int, retired: Int) { callback(cycle, retired) }
}

/// Calls a closure with every retired instruction.
struct TraceCallback: RunObserver {
    static var tracesInstructions: Bool { true }
    let callback: (TraceRecord) -> Void
    mutating func retired(_ record: TraceRecord) { callback(record) }
    mutating func progress(cycle: Int, retired: Int) {}
}
