import Foundation
import NMPISA
import NMPSupport

/// A run that stops between instructions and resumes on request, for `nmp debug`.
///
/// ```swift
/// let run = DebugRun(simulator: simulator)
/// var stop = run.resume(.steps(0))            // before the first instruction
/// _ = run.addBreakpoint(pc: 5)
/// stop = run.resume(.toEnd)                   // stops at pc 5 (or halts first)
/// print(stop.machine.cycle, stop.changes)
/// ```
///
/// The step loop stays as it is: the run executes on a thread of its own with an observer
/// whose `willFetch` (`RunObserver.inspectsMachine`) decides whether to stop and, if so,
/// hands the machine over to the caller of `resume` and waits until the next `resume`. So
/// exactly one of the two threads touches the machine at any time. A run left paused (the
/// user quits) keeps its thread blocked until the process exits.
public final class DebugRun: @unchecked Sendable {
    public let simulator: Simulator
    public let maxCycles: Int

    /// How far `resume` runs before it stops on its own (breakpoints, watchpoints, halt and
    /// traps stop it in every mode).
    public enum Mode: Equatable, Sendable {
        /// Until this many more instructions have retired (0: stop at once, before the first).
        case steps(Int)
        /// Until the cycle count reaches this value.
        case untilCycle(Int)
        /// Until a breakpoint, a watchpoint, halt or a trap.
        case toEnd
    }

    /// Why the run stopped.
    public enum Reason: Equatable, Sendable {
        /// Before the first instruction.
        case start
        /// The steps asked for have retired.
        case step
        case breakpoint(number: Int, pc: Int)
        /// The watched bytes changed, from `old` to `new`.
        case watch(number: Int, old: [UInt8], new: [UInt8])
        /// The cycle count reached `untilCycle`.
        case cycle(Int)
        case halted
        case trapped(Trap)
    }

    /// Where the run stopped and how it got there.
    public struct Stop {
        public var reasons: [Reason]
        public var machine: MachineView
        /// The last instruction retired (nil before the first).
        public var last: TraceRecord?
        /// What the last instruction changed: registers, vl, the bytes it stored, DMA
        /// transfers it enqueued or that completed since, the loop stack.
        public var changes: [MachineChange]
        /// Stall cycles by cause so far (after a trap: including the trapping instruction's
        /// stalls before it would have issued, as the run's counters count them).
        public var stalls: CaseTable<StallCause, Int>
        /// The run's result once it halted or trapped.
        public var result: RunResult?
    }

    public struct Breakpoint: Equatable, Sendable {
        public var number: Int, pc: Int
    }

    public struct Watchpoint: Equatable, Sendable {
        public var number: Int
        public var space: MemorySpace, address: Int, bytes: Int
    }

    public private(set) var breakpoints: [Breakpoint] = []
    public private(set) var watchpoints: [Watchpoint] = []
    /// The last stop (nil before the first `resume`).
    public private(set) var lastStop: Stop?
    /// True once the run halted or trapped: `resume` then returns the final stop again.
    public var ended: Bool { lastStop?.result != nil }

    private var nextNumber = 1
    private var breakAt: [Bool]
    private var watchValues: [[UInt8]] = []
    /// Per pc: the store's memory, access size, base register and offset (ISA.md 7.6).
    private let stores: [(space: MemorySpace, size: AccessSize, base: Int, offset: Int32)?]
    private let enqueuesDMA: [Bool]

    // The run thread's state (read by the caller only while the run is paused).
    private var mode = Mode.steps(0)
    private var resumedAt = 0
    private var stallCounts = [Int](repeating: 0, count: StallCause.allCases.count)
    private var lastRecord: TraceRecord?
    private var snapshot = MachineSnapshot()
    private var enqueued = 0
    private var finalView: MachineView?
    private var started = false
    private let toRun = DispatchSemaphore(value: 0), toCaller = DispatchSemaphore(value: 0)

    public init(simulator: Simulator, maxCycles: Int = Simulator.defaultMaxCycles) {
        self.simulator = simulator
        self.maxCycles = maxCycles
        let code = simulator.image.code
        breakAt = [Bool](repeating: false, count: code.count)
        let decoded = code.map { try? Instruction(decoding: $0) }
        stores = decoded.map { instruction in
            guard let instruction, case .memory(let space, let size, load: false, _) = instruction.opcode.spec.timing else { return nil }
            return (space, size, Int(instruction.b), instruction.imm)
        }
        enqueuesDMA = decoded.map { [.dmaw, .dmaa, .dmas].contains($0?.opcode) }
    }

    /// Runs until `mode` is met, a breakpoint or watchpoint stops it, or the run ends; returns
    /// where it stopped. Blocks the caller meanwhile.
    @discardableResult
    public func resume(_ mode: Mode) -> Stop {
        if let lastStop, lastStop.result != nil { return lastStop }
        self.mode = mode
        if started {
            toRun.signal()
        } else {
            started = true
            let thread = Thread { [self] in
                var observer = Observer(run: self)
                let result = simulator.run(maxCycles: maxCycles, observer: &observer)
                finish(result)
                toCaller.signal()
            }
            thread.stackSize = 16 << 20
            thread.start()
        }
        toCaller.wait()
        return lastStop!
    }

    /// Adds a breakpoint before instruction `pc`; nil if there is no such instruction.
    public func addBreakpoint(pc: Int) -> Breakpoint? {
        guard breakAt.indices.contains(pc) else { return nil }
        let breakpoint = Breakpoint(number: nextNumber, pc: pc)
        nextNumber += 1
        breakpoints.append(breakpoint)
        breakAt[pc] = true
        return breakpoint
    }

    /// Adds a watchpoint on `bytes` bytes at `address`; nil if they are not inside the memory.
    public func addWatchpoint(space: MemorySpace, address: Int, bytes: Int) -> Watchpoint? {
        guard let value = simulator.read(space, at: address, count: bytes) else { return nil }
        let watchpoint = Watchpoint(number: nextNumber, space: space, address: address, bytes: bytes)
        nextNumber += 1
        watchpoints.append(watchpoint)
        watchValues.append(value)
        return watchpoint
    }

    /// Removes breakpoint or watchpoint `number` (every one when nil); false if there is none.
    @discardableResult
    public func delete(_ number: Int?) -> Bool {
        let before = breakpoints.count + watchpoints.count
        let keepWatch = watchpoints.map { number != nil && $0.number != number }
        watchValues = zip(watchValues, keepWatch).filter { $0.1 }.map { $0.0 }
        watchpoints = watchpoints.filter { number != nil && $0.number != number }
        breakpoints = breakpoints.filter { number != nil && $0.number != number }
        breakAt = breakAt.map { _ in false }
        for breakpoint in breakpoints { breakAt[breakpoint.pc] = true }
        return breakpoints.count + watchpoints.count < before
    }

    // MARK: On the run thread

    private struct Observer: RunObserver {
        static var tracesInstructions: Bool { true }
        static var inspectsMachine: Bool { true }
        let run: DebugRun
        mutating func retired(_ record: TraceRecord) { run.retired(record) }
        mutating func progress(cycle: Int, retired: Int) {}
        mutating func willFetch(_ machine: MachineView) { run.willFetch(machine) }
        mutating func ended(_ machine: MachineView) { run.finalView = machine }
    }

    private func retired(_ record: TraceRecord) {
        for (cause, cycles) in record.stalls { stallCounts[StallCause.allCases.firstIndex(of: cause)!] += cycles }
        lastRecord = record
        if enqueuesDMA[record.pc] { enqueued += 1 }
    }

    private func willFetch(_ machine: MachineView) {
        var reasons: [Reason] = []
        switch mode {
        case .steps(let n) where machine.retired - resumedAt >= n: reasons.append(n == 0 ? .start : .step)
        case .untilCycle(let cycle) where machine.cycle >= cycle: reasons.append(.cycle(cycle))
        default: break
        }
        if breakAt.indices.contains(machine.pc) && breakAt[machine.pc] {
            for breakpoint in breakpoints where breakpoint.pc == machine.pc {
                reasons.append(.breakpoint(number: breakpoint.number, pc: machine.pc))
            }
        }
        reasons += watchReasons()
        if !reasons.isEmpty {
            lastStop = Stop(reasons: reasons, machine: machine, last: lastRecord,
                            changes: lastRecord == nil ? [] : snapshot.changes(to: machine, enqueued: enqueued),
                            stalls: stallTable(), result: nil)
            toCaller.signal()
            toRun.wait()
            resumedAt = machine.retired
        }
        snapshot.take(machine, enqueued: enqueued, store: storeRange(machine))
    }

    private func stallTable() -> CaseTable<StallCause, Int> {
        let counts = stallCounts
        return CaseTable { cause in counts[StallCause.allCases.firstIndex(of: cause)!] }
    }

    /// The watchpoints whose bytes changed since they were last read (and their new values).
    private func watchReasons() -> [Reason] {
        var reasons: [Reason] = []
        for (i, watchpoint) in watchpoints.enumerated() {
            guard let now = simulator.read(watchpoint.space, at: watchpoint.address, count: watchpoint.bytes),
                  now != watchValues[i] else { continue }
            reasons.append(.watch(number: watchpoint.number, old: watchValues[i], new: now))
            watchValues[i] = now
        }
        return reasons
    }

    /// The bytes the instruction at the machine's pc stores to, if it is a store in bounds.
    private func storeRange(_ machine: MachineView) -> (MemorySpace, Int, Int)? {
        guard stores.indices.contains(machine.pc), let store = stores[machine.pc] else { return nil }
        let config = simulator.config
        let count = switch store.size {
        case .bytes(let n): n
        case .activeLanes(let laneBytes): laneBytes * machine.vl
        case .tritRow: config.rowBytes
        case .tritMatrix: config.rows * config.rowBytes
        }
        return (store.space, Int(simulator.scalar(store.base) &+ UInt32(bitPattern: store.offset)), count)
    }

    private func finish(_ result: RunResult) {
        let machine = finalView!
        var reasons = watchReasons()
        reasons.append(result.trap.map { .trapped($0) } ?? .halted)
        var changes = lastRecord == nil ? [] : snapshot.changes(to: machine, enqueued: enqueued)
        if result.trap != nil {
            // The trapping instruction wrote nothing (the snapshot was taken before it).
            changes.removeAll { if case .memory = $0 { true } else { false } }
        }
        lastStop = Stop(reasons: reasons, machine: machine, last: lastRecord, changes: changes,
                        stalls: result.counters.stalls, result: result)
    }
}
