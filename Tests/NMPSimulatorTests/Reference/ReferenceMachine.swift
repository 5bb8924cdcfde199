// A deliberately simple reference interpreter of ISA.md, used as a test oracle for the
// fast simulator. It is written from the text of ISA.md only (chapters 2, 3, 4, 6 and 7)
// and favours clarity over speed: plain Swift arrays, exact `Int` arithmetic, and the
// issue algorithm of section 6.8 transcribed step by step.
//
// Files in this folder:
//   ReferenceMachine.swift   state, reset (2.7) and the issue loop (6.8), traps (7.10)
//   ReferenceTiming.swift    scoreboard operands, latencies, banks() (6.1, 6.2, ch. 7)
//   ReferenceSemantics.swift the operation and energy line of every instruction (ch. 7)
//   ReferenceTrits.swift     the packed trit layouts (chapter 4)
//   DifferentialSnapshot.swift  one observable form for both machines, and the comparison
//   DiffProgramGenerator.swift  seeded random programs for the differential tests

import NMPISA
import NMPSimulator

/// Stall causes of section 6.7 (raw values are the names ISA.md uses).
enum RefStall: String, CaseIterable {
    case data, sramPort, bankConflict, branch, dmaQueue, dmaWait, drain, array
}

/// Trap causes of section 7.10.
enum RefTrapCause: String, CaseIterable {
    case illegalInstruction, illegalLoop, outOfBounds, misaligned, invalidTritCode, dmaFault, loopOverflow, cycleLimit
}

struct RefTrap: Error, Equatable {
    var cause: RefTrapCause
    var pc: Int
    var cycle: Int
    var detail: String = ""

    static func == (x: RefTrap, y: RefTrap) -> Bool {
        x.cause == y.cause && x.pc == y.pc && x.cycle == y.cycle
    }
}

/// A register as the scoreboard sees it (section 6.1): every register of the five files,
/// and `vl`.
enum RefReg: Hashable {
    case x(Int), t(Int), m(Int), v(Int), a(Int), vl
}

/// One DMA transfer (section 6.5).
struct RefTransfer {
    enum Kind { case dmaw, dmaa, dmas }
    var kind: Kind
    var dst: Int
    var src: Int
    var len: Int
    var end: Int
    var applied = false
}

/// What a run produced: the trap (or nil after `halt`), the counters of 6.6/6.7 and the
/// energy events of 3.3.
struct RefResult {
    /// The ternary array's waits of 6.12, by rule (for the differential tests' coverage).
    enum ArrayWait: CaseIterable { case fullQueue, productWaitsForTransfer, transferWaitsForProduct, storeWaitsForProduct, drainForOtherInstruction }
    var arrayWaits: [ArrayWait: Int] = [:]
    /// The waits among `arrayWaits` that involved an FP16 product (`hgemm`, `hgemz`): the
    /// product that waited, or the one waited for (the latest-ending reader of the bytes, or
    /// the last product for the array's other instructions).
    var halfArrayWaits: [ArrayWait: Int] = [:]
    var trap: RefTrap?
    var cycles = 0
    var retired = 0
    var retiredByOpcode: [Opcode: Int] = [:]
    var stalls: [RefStall: Int] = [:]
    var events: [EnergyEvent: Int] = [:]
    var tritAdd: Int { events[.tritAdd, default: 0] }
    var tritSub: Int { events[.tritSub, default: 0] }
    var tritSkip: Int { events[.tritSkip, default: 0] }
}

final class ReferenceMachine {
    let config: MachineConfig
    let code: [UInt32]
    let VLEN: Int
    let ROWS: Int
    /// ROWBYTES = ceil(VLEN / tritsPerByte) (section 3.2).
    let ROWBYTES: Int

    // Architectural state (chapter 2).
    var x = [UInt32](repeating: 0, count: 16)
    var t: [[Int8]]
    var m: [[[Int8]]]
    var v: [[Int8]]
    var a: [[Int32]]
    var vl: Int
    var pc: Int
    var wsram: [UInt8]
    var asram: [UInt8]
    var dram: [UInt8]
    var loopStack: [(start: Int, end: Int, remaining: Int)] = []
    var transfers: [RefTransfer] = []   // every transfer ever enqueued, in FIFO order
    /// Every matrix product the array was given (6.12), in order: the cycle its work ends,
    /// the wsram and asram bytes it reads, and whether it is an FP16 product (`hgemm`).
    var products: [(end: Int, tile: Range<Int>, vectors: Range<Int>, half: Bool)] = []

    // Timing state (chapter 6).
    var ready: [RefReg: Int] = [:]      // missing = 0 (every register is ready at cycle 0)
    var next = 0                        // earliest issue cycle of the next instruction
    var lastAccessAddress = 0           // EA of the memory instruction being executed (for banks())
    var matrixRowAddresses: [Int] = []  // row addresses of the float matrix product being executed

    var result = RefResult()
    /// When set, every retired instruction is recorded as (pc, issue cycle), for debugging.
    var tracing = false
    var trace: [(pc: Int, cycle: Int)] = []

    struct LoadError: Error { var message: String }

    /// Reset (section 2.7).
    init(image: MicrocodeImage, config: MachineConfig) throws {
        self.config = config
        code = image.code
        VLEN = config.vlen
        ROWS = config.rows
        let tritsPerByte = config.packing == .base3 ? 5 : 4
        ROWBYTES = (config.vlen + tritsPerByte - 1) / tritsPerByte
        guard image.packing == config.packing else { throw LoadError(message: "packing differs") }
        t = Array(repeating: Array(repeating: 0, count: VLEN), count: 8)
        m = Array(repeating: Array(repeating: Array(repeating: 0, count: VLEN), count: ROWS), count: 4)
        v = Array(repeating: Array(repeating: 0, count: VLEN), count: 8)
        a = Array(repeating: Array(repeating: 0, count: VLEN), count: 8)
        vl = VLEN
        pc = Int(image.entry)
        func memory(_ data: [UInt8], size: Int) throws -> [UInt8] {
            guard data.count <= size else { throw LoadError(message: "data section larger than memory") }
            return data + [UInt8](repeating: 0, count: size - data.count)
        }
        wsram = try memory(image.weightData, size: config.weightSRAM.size)
        asram = try memory(image.activationData, size: config.activationSRAM.size)
        dram = try memory(image.dramData, size: config.dramSize)
    }

    // MARK: - Helpers

    func readyCycle(_ r: RefReg) -> Int {
        if r == .x(0) { return 0 }      // r0 is never a hazard (6.1)
        return ready[r, default: 0]
    }

    func stall(_ cause: RefStall, _ n: Int) {
        precondition(n >= 0)
        result.stalls[cause, default: 0] += n
    }

    /// Transfers outstanding at cycle c: enqueued and c < end (6.5). (All enqueued
    /// transfers were enqueued before any cycle we ask about.)
    func outstanding(at c: Int) -> [RefTransfer] {
        transfers.filter { c < $0.end }
    }

    /// Performs, in FIFO order, every not yet applied transfer whose end cycle is <= c
    /// (6.5: the copy happens atomically at the start of its end cycle).
    func applyTransfers(upTo c: Int) {
        for i in transfers.indices where !transfers[i].applied && transfers[i].end <= c {
            let tr = transfers[i]
            switch tr.kind {
            case .dmaw: for j in 0..<tr.len { wsram[tr.dst + j] = dram[tr.src + j] }
            case .dmaa: for j in 0..<tr.len { asram[tr.dst + j] = dram[tr.src + j] }
            case .dmas: for j in 0..<tr.len { dram[tr.dst + j] = asram[tr.src + j] }
            }
            transfers[i].applied = true
        }
    }

    /// Every register of every file, and vl (for `halt`, 6.6).
    var allRegisters: [RefReg] {
        (0..<16).map { RefReg.x($0) } + (0..<8).map { RefReg.t($0) } + (0..<4).map { RefReg.m($0) }
            + (0..<8).map { RefReg.v($0) } + (0..<8).map { RefReg.a($0) } + [.vl]
    }

    func trap(_ cause: RefTrapCause, pc: Int, cycle: Int, _ detail: String = "") -> RefResult {
        // Everything before the trap has taken effect; transfers that reached their end
        // cycle have been applied, the others are abandoned (7.10). The cycle count of a
        // trapping run is the trap cycle: cycles 0 ... cycle-1 were issues or stalls.
        applyTransfers(upTo: cycle)
        result.trap = RefTrap(cause: cause, pc: pc, cycle: cycle, detail: detail)
        result.cycles = cycle
        return result
    }

    // MARK: - The issue loop (section 6.8)

    func run(maxCycles: Int) -> RefResult {
        while true {
            let c0 = next
            // Fetch and decode: decode traps are raised at the cycle the instruction could
            // first issue (7.10), before any stall - unless that cycle is already at or past
            // the cycle budget, which then ends the run first. (ISA.md leaves the order of
            // the two open; this follows the simulator.)
            func decodeTrap(_ cause: RefTrapCause, _ detail: String) -> RefResult {
                if c0 >= maxCycles { return trap(.cycleLimit, pc: pc, cycle: c0, "limit \(maxCycles)") }
                return trap(cause, pc: pc, cycle: c0, detail)
            }
            guard pc >= 0 && pc < code.count else {
                return decodeTrap(.illegalInstruction, "pc outside the code")
            }
            let inst: Instruction
            do {
                inst = try Instruction(decoding: code[pc])
            } catch {
                if case .emptyLoopBody = error { return decodeTrap(.illegalLoop, "\(error)") }
                return decodeTrap(.illegalInstruction, "\(error)")
            }
            let op = inst.opcode

            // c1: data hazards on every source and destination (6.1).
            let (sources, destinations) = scoreboard(inst)
            var c1 = c0
            for r in sources + destinations { c1 = max(c1, readyCycle(r)) }
            // 6.12: a product's array cycles and operands follow from its pointers before it
            // advances them.
            let gemm = [.mgemm, .mgemz, .hgemm, .hgemz].contains(op) ? gemmCycles(inst) : nil
            let operands = gemm == nil ? nil : gemmOperands(inst)
            stall(.data, c1 - c0)

            // c2: DMA queue, dwait, halt, the ternary array (6.8, 6.12). A wait counts as the
            // cause of the last condition that moved the issue cycle.
            var c2 = c1
            /// The latest end of the products unfinished at c that read bytes of `range`, and
            /// whether that last reader is an FP16 product.
            func readers(_ range: Range<Int>, weights: Bool) -> (end: Int, half: Bool) {
                let last = products.filter { c2 < $0.end && (weights ? $0.tile : $0.vectors).overlaps(range) }.max { $0.end < $1.end }
                return (last?.end ?? 0, last?.half ?? false)
            }
            /// Counts a wait of rule `wait`, and again among the FP16 products' when `half`.
            func arrayWait(_ wait: RefResult.ArrayWait, half: Bool) {
                result.arrayWaits[wait, default: 0] += 1
                if half { result.halfArrayWaits[wait, default: 0] += 1 }
            }
            switch op {
            case .dmaw, .dmaa, .dmas:
                while outstanding(at: c2).count >= config.dmaQueueDepth {
                    c2 = outstanding(at: c2)[0].end
                }
                let queued = c2
                var half = false
                if op != .dmas {
                    let low = Int(X(inst.a)), range = low..<(low + Int(X(inst.c)))
                    if !range.isEmpty {
                        let last = readers(range, weights: op == .dmaw)
                        c2 = max(c2, last.end); half = last.half
                    }
                }
                if c2 > queued { arrayWait(.transferWaitsForProduct, half: half) }
                stall(c2 > queued ? .array : .dmaQueue, c2 - c1)
            case .mgemm, .mgemz, .hgemm, .hgemz:
                while products.filter({ c2 < $0.end }).count >= config.arrayQueueDepth {
                    c2 = products.first { c2 < $0.end }!.end
                }
                let queued = c2
                if queued > c1 { arrayWait(.fullQueue, half: isHalfProduct(op)) }
                for tr in outstanding(at: c2) {
                    let range = tr.dst..<(tr.dst + tr.len)
                    if (tr.kind == .dmaw && range.overlaps(operands!.tile)) || (tr.kind == .dmaa && range.overlaps(operands!.vectors)) {
                        c2 = max(c2, tr.end)
                    }
                }
                if c2 > queued { arrayWait(.productWaitsForTransfer, half: isHalfProduct(op)) }
                stall(c2 > queued ? .dmaWait : .array, c2 - c1)
            case .sw, .sb, .stv, .sta, .stbf, .sthf, .stt:
                let (space, n) = memoryAccess(inst)!
                let low = Int(UInt32(truncatingIfNeeded: Int(X(inst.b)) + Int(inst.imm)))
                var half = false
                if n > 0 {
                    let last = readers(low..<(low + n), weights: space == .weightSRAM)
                    c2 = max(c2, last.end); half = last.half
                }
                if c2 > c1 { arrayWait(.storeWaitsForProduct, half: half) }
                stall(.array, c2 - c1)
            case .vmac, .mmac, .sgn, .sgnb, .thr, .tcvt:
                c2 = max(c2, products.last?.end ?? 0)
                if c2 > c1 { arrayWait(.drainForOtherInstruction, half: products.last?.half ?? false) }
                stall(.array, c2 - c1)
            case .dwait:
                let n = Int(inst.imm)
                while outstanding(at: c2).count > n {
                    c2 = outstanding(at: c2)[0].end
                }
                stall(.dmaWait, c2 - c1)
            case .halt:
                c2 = max(c1, transfers.last?.end ?? 0, products.last?.end ?? 0)
                for r in allRegisters { c2 = max(c2, readyCycle(r)) }
                stall(.drain, c2 - c1)
            default:
                break
            }
            let issue = c2

            // Transfers that end by the issue cycle take effect before the instruction acts.
            applyTransfers(upTo: issue)

            // The cycle budget: the instruction would issue at or after the limit (7.10).
            if issue >= maxCycles {
                return trap(.cycleLimit, pc: pc, cycle: issue, "limit \(maxCycles)")
            }

            // Traps, then the semantics (chapter 7). A trapping instruction changes nothing
            // and counts no events.
            let outcome: RefOutcome
            do {
                outcome = try execute(inst, at: issue)
            } catch let e as RefInstructionTrap {
                return trap(e.cause, pc: pc, cycle: issue, e.detail)
            } catch {
                fatalError("unexpected error \(error)")
            }
            for (event, n) in outcome.events where n != 0 { result.events[event, default: 0] += n }
            result.retired += 1
            result.retiredByOpcode[op, default: 0] += 1
            if tracing { trace.append((pc: pc, cycle: issue)) }

            // Occupancy of the issue stage: banks(mem, n) for memory instructions (6.2),
            // ceil(vl / floatLanes) for float32 vector instructions (6.10).
            // An instruction with both (fwmacbf, fwmachf: 6.10) holds issue for the larger.
            var k = 1
            if let cycles = gemm, let operands {
                // 6.12: one issue cycle; the array starts the product when the one before has
                // ended and its accumulators are ready by the time it reads them (cycles - 1 +
                // loadLatency + unpackLatency after its start), and works for `cycles`.
                let reads = cycles - 1 + config.loadLatency + config.unpackLatency
                var start = max(issue, products.last?.end ?? 0)
                for n in Int(inst.a)...Int(inst.d) { start = max(start, readyCycle(.a(n)) - reads) }
                let end = start + cycles
                products.append((end: end, tile: operands.tile, vectors: operands.vectors, half: isHalfProduct(op)))
                for n in Int(inst.a)...Int(inst.d) {
                    ready[.a(n)] = end - 1 + config.loadLatency + config.unpackLatency + config.mmacLatency
                }
            } else if [.fmvbf, .fmvhf, .fvmbf, .fvmhf].contains(op) {
                // 6.10: the rows' words per bank, or the float unit's ROWS * vl multiplies.
                let lanes = max(1, (ROWS * vl + config.floatLanes - 1) / config.floatLanes)
                k = max(rowBanks(matrixRowAddresses, 2 * vl), lanes)
                let ideal = max(idealBanks(.weightSRAM, ROWS * 2 * vl), lanes)
                stall(.sramPort, ideal - 1)
                stall(.bankConflict, k - ideal)
            } else if let (space, n) = memoryAccess(inst) {
                let lanes = floatLaneCycles(op) ?? 1
                k = max(banks(space, n), lanes)
                let ideal = max(idealBanks(space, n), lanes)
                stall(.sramPort, ideal - 1)
                stall(.bankConflict, k - ideal)
            } else if let cycles = floatLaneCycles(op) {
                // 6.10: the float unit's cycles beyond the first count like SRAM port cycles.
                k = cycles
                stall(.sramPort, k - 1)
            }
            // Results ready at t + k - 1 + latency; r0 keeps its ready cycle (6.1).
            if let latency = resultLatency(op) {
                for r in destinations where r != .x(0) {
                    ready[r] = issue + k - 1 + latency
                }
            }

            if op == .halt {
                result.cycles = issue + 1      // 6.6
                return result
            }

            next = issue + k
            if outcome.taken {
                next += config.branchPenalty    // 6.3
                stall(.branch, config.branchPenalty)
            }

            // The next pc, with the loop check of 6.4 for instructions that do not redirect.
            if let target = outcome.redirect {
                pc = target
            } else {
                var nextPC = pc + 1
                while let top = loopStack.last, nextPC == top.end {
                    loopStack[loopStack.count - 1].remaining -= 1
                    if loopStack[loopStack.count - 1].remaining > 0 {
                        nextPC = top.start
                        break
                    }
                    loopStack.removeLast()
                }
                pc = nextPC
            }
        }
    }
}

/// A trap raised by an instruction's own checks (7.6, 7.7, 6.4).
struct RefInstructionTrap: Error {
    var cause: RefTrapCause
    var detail: String
}

/// What executing one instruction did, besides changing state.
struct RefOutcome {
    /// Taken branch, jump, or skipped `loop` (pays branchPenalty, 6.3).
    var taken = false
    /// The pc the instruction redirects to (taken branches, jumps, skipped loops); no loop
    /// check follows.
    var redirect: Int?
    /// Energy events (3.3), counted only when the instruction does not trap.
    var events: [EnergyEvent: Int] = [:]
}
