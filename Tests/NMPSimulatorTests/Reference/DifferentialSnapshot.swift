// Everything observable after a run, taken from either machine in one plain form, and a
// comparison that names the first differences.

import NMPISA
import NMPSimulator

struct DifferentialSnapshot {
    var trap: (cause: String, pc: Int, cycle: Int)?
    var trapDetail = ""
    var cycles = 0
    var retired = 0
    var retiredByOpcode: [String: Int] = [:]   // mnemonic -> count, non-zero entries only
    var stalls: [String: Int] = [:]            // every cause of 6.7
    var tritAdd = 0, tritSub = 0, tritSkip = 0
    var events: [String: Int] = [:]            // every event of 3.3
    var scalars: [UInt32] = []
    var vl = 0
    var trits: [[Int8]] = []
    var matrices: [[[Int8]]] = []
    var int8: [[Int8]] = []
    var accumulators: [[Int32]] = []
    var wsram: [UInt8] = []
    var asram: [UInt8] = []
    var dram: [UInt8] = []

    /// "halt" or the trap's cause, pc and cycle (what is compared).
    var outcome: String {
        if let trap { return "trap \(trap.cause) at pc \(trap.pc), cycle \(trap.cycle)" }
        return "halt"
    }

    init(reference machine: ReferenceMachine, result: RefResult) {
        if let trap = result.trap { self.trap = (trap.cause.rawValue, trap.pc, trap.cycle); trapDetail = trap.detail }
        cycles = result.cycles
        retired = result.retired
        for (op, n) in result.retiredByOpcode where n != 0 { retiredByOpcode[op.mnemonic] = n }
        for cause in RefStall.allCases { stalls[cause.rawValue] = result.stalls[cause, default: 0] }
        tritAdd = result.tritAdd; tritSub = result.tritSub; tritSkip = result.tritSkip
        for event in EnergyEvent.allCases { events[event.rawValue] = result.events[event] }
        scalars = (0..<16).map { machine.X(UInt8($0)) }
        vl = machine.vl
        trits = machine.t
        matrices = machine.m
        int8 = machine.v
        accumulators = machine.a
        wsram = machine.wsram
        asram = machine.asram
        dram = machine.dram
    }

    init(simulator sim: Simulator, result: RunResult) {
        if let trap = result.trap { self.trap = (trap.cause.rawValue, trap.pc, trap.cycle); trapDetail = trap.detail }
        cycles = result.counters.cycles
        retired = result.counters.retired
        for (op, n) in result.counters.retiredByOpcode where n != 0 { retiredByOpcode[op.mnemonic] = n }
        for cause in StallCause.allCases { stalls[cause.rawValue] = result.counters.stalls[cause] }
        tritAdd = result.counters.tritAdd; tritSub = result.counters.tritSub; tritSkip = result.counters.tritSkip
        for event in EnergyEvent.allCases { events[event.rawValue] = result.events[event] }
        scalars = (0..<16).map { sim.scalar($0) }
        vl = sim.vl
        trits = (0..<8).map { sim.tritVector($0) }
        matrices = (0..<4).map { sim.tritMatrix($0) }
        int8 = (0..<8).map { sim.int8Vector($0) }
        accumulators = (0..<8).map { sim.accumulator($0) }
        let c = sim.config
        wsram = sim.read(.weightSRAM, at: 0, count: c.weightSRAM.size) ?? []
        asram = sim.read(.activationSRAM, at: 0, count: c.activationSRAM.size) ?? []
        dram = sim.read(.dram, at: 0, count: c.dramSize) ?? []
    }

    /// The differences between an expected (reference) and an actual (simulator) snapshot,
    /// most fundamental first; empty when they agree.
    static func differences(expected e: DifferentialSnapshot, actual a: DifferentialSnapshot, limit: Int = 12) -> [String] {
        var out: [String] = []
        func check<T: Equatable>(_ what: String, _ x: T, _ y: T) {
            if x != y { out.append("\(what): expected \(x), actual \(y)") }
        }
        if e.outcome != a.outcome {
            out.append("outcome: expected \(e.outcome) (\(e.trapDetail)), actual \(a.outcome) (\(a.trapDetail))")
        }
        check("cycles", e.cycles, a.cycles)
        check("retired", e.retired, a.retired)
        for name in Set(e.retiredByOpcode.keys).union(a.retiredByOpcode.keys).sorted() {
            check("retired[\(name)]", e.retiredByOpcode[name, default: 0], a.retiredByOpcode[name, default: 0])
        }
        for cause in RefStall.allCases.map(\.rawValue) {
            check("stall[\(cause)]", e.stalls[cause, default: 0], a.stalls[cause, default: 0])
        }
        check("counters.tritAdd", e.tritAdd, a.tritAdd)
        check("counters.tritSub", e.tritSub, a.tritSub)
        check("counters.tritSkip", e.tritSkip, a.tritSkip)
        for event in EnergyEvent.allCases.map(\.rawValue) {
            check("event[\(event)]", e.events[event, default: 0], a.events[event, default: 0])
        }
        for i in 0..<16 { check("r\(i)", e.scalars[i], a.scalars[i]) }
        check("vl", e.vl, a.vl)
        func lanes<T: Equatable>(_ name: String, _ x: [[T]], _ y: [[T]]) {
            for i in 0..<max(x.count, y.count) {
                guard i < x.count, i < y.count else { out.append("\(name): register count differs"); return }
                if x[i] != y[i] {
                    let lane = (0..<min(x[i].count, y[i].count)).first { x[i][$0] != y[i][$0] } ?? min(x[i].count, y[i].count)
                    let ex = lane < x[i].count ? "\(x[i][lane])" : "-", ac = lane < y[i].count ? "\(y[i][lane])" : "-"
                    out.append("\(name)\(i) lane \(lane): expected \(ex), actual \(ac)")
                }
            }
        }
        lanes("t", e.trits, a.trits)
        for i in 0..<min(e.matrices.count, a.matrices.count) { lanes("m\(i) row ", e.matrices[i], a.matrices[i]) }
        lanes("v", e.int8, a.int8)
        lanes("a", e.accumulators, a.accumulators)
        func memory(_ name: String, _ x: [UInt8], _ y: [UInt8]) {
            guard x != y else { return }
            guard x.count == y.count else { out.append("\(name): size expected \(x.count), actual \(y.count)"); return }
            let at = x.indices.first { x[$0] != y[$0] }!
            let count = zip(x, y).filter { $0 != $1 }.count
            out.append("\(name)[\(at)]: expected \(x[at]), actual \(y[at]) (\(count) bytes differ)")
        }
        memory("wsram", e.wsram, a.wsram)
        memory("asram", e.asram, a.asram)
        memory("dram", e.dram, a.dram)
        return Array(out.prefix(limit))
    }
}

/// Records the simulator's trace (pc, issue cycle) for mismatch reports.
struct ReferenceTraceObserver: RunObserver {
    static var tracesInstructions: Bool { true }
    var records: [(pc: Int, cycle: Int)] = []
    mutating func retired(_ record: TraceRecord) { records.append((record.pc, record.cycle)) }
    mutating func progress(cycle: Int, retired: Int) {}
}
