import NMPISA

/// One code word decoded once at load time into what the step loop needs: the opcode, its
/// register numbers, the immediate already extended (or the absolute target pc), the
/// scoreboard slots it reads and writes, and its result latency on this config.
struct DecodedInstruction {
    /// 0 for a legal word; otherwise the trap it raises when fetched.
    enum Fault: UInt8 { case none, illegalInstruction, illegalLoop }

    var opcode: Opcode
    /// The opcode's group: the step loop dispatches on it to the group's handler.
    var group: InstructionGroup
    var fault: Fault
    var a: Int32, b: Int32, c: Int32, d: Int32
    /// Sign- or zero-extended immediate; for branches, `jal` and `loop`, the absolute target.
    var imm: Int32
    /// Scoreboard slots of the sources and destinations (unused: always-ready / discard).
    var s0: UInt8, s1: UInt8, s2: UInt8, s3: UInt8
    var d0: UInt8, d1: UInt8
    /// The slots the WAW check reads: d0 and d1, or the always-ready slot for a discard.
    var w0: UInt8, w1: UInt8
    /// Cycles from the last issue cycle to the result (ISA.md 6.1, 6.2).
    var latency: Int32
    /// Whether the float32 unit holds issue for ceil(vl / floatLanes) cycles (ISA.md 6.10).
    var floatLanes: Bool
    /// For a store: the SRAM it writes (1 activation, 2 weight; 0 for every other
    /// instruction) and its bytes, `storeFixed` + `storeLaneBytes` * vl, so that the step loop
    /// can find products that still read them (ISA.md 6.12).
    var storeSpace: UInt8 = 0
    var storeFixed: Int32 = 0, storeLaneBytes: Int32 = 0
    /// For a matrix product (ISA.md 6.12): bytes per vector lane, 1 for `mgemm`/`mgemz`
    /// (int8), 2 for `hgemm`/`hgemz` (binary16); 0 for every other instruction.
    var gemmLaneBytes: UInt8 = 0
    /// The word, for traps and traces.
    var word: UInt32
    /// The code region the instruction belongs to (`CodeRegions`; 0 when none were given).
    var region: UInt16 = 0

    /// An undecodable word: executing it traps.
    static func illegal(_ word: UInt32, fault: Fault) -> DecodedInstruction {
        DecodedInstruction(opcode: .nop, group: .control, fault: fault, a: 0, b: 0, c: 0, d: 0, imm: 0,
                           s0: UInt8(Scoreboard.alwaysReady), s1: UInt8(Scoreboard.alwaysReady),
                           s2: UInt8(Scoreboard.alwaysReady), s3: UInt8(Scoreboard.alwaysReady),
                           d0: UInt8(Scoreboard.discard), d1: UInt8(Scoreboard.discard),
                           w0: UInt8(Scoreboard.alwaysReady), w1: UInt8(Scoreboard.alwaysReady),
                           latency: 0, floatLanes: false, word: word)
    }

}

extension DecodedInstruction {
    /// Decodes `word` at `pc` for `config`; the operand roles come from the instruction
    /// table, so no opcode is named here: the first register operand is the destination of
    /// every instruction with a result (also a source when `spec.roles` says it
    /// accumulates), every other register operand and a memory operand's base are sources,
    /// `vl` is a source of every instruction whose counts depend on it
    /// (`InstructionSpec.readsVL`) and a destination when `spec.roles` says it writes `vl`.
    init(word: UInt32, pc: Int, config: MachineConfig, region: UInt16 = 0) {
        let instruction: Instruction
        do {
            instruction = try Instruction(decoding: word)
        } catch {
            if case .emptyLoopBody = error {
                self = .illegal(word, fault: .illegalLoop)
            } else {
                self = .illegal(word, fault: .illegalInstruction)
            }
            self.region = region
            return
        }
        let spec = instruction.opcode.spec
        self = .illegal(word, fault: .none)
        self.region = region
        opcode = instruction.opcode
        group = spec.group
        a = Int32(instruction.a); b = Int32(instruction.b); c = Int32(instruction.c); d = Int32(instruction.d)

        var sources: [Int] = []
        var destinations: [Int] = []
        let hasResult = spec.resultLatency != nil
        var first = true
        if case .gemm(let operands) = spec.timing {
            // ISA.md 6.12: a matrix product reads and advances its two pointers (its
            // accumulators aD ... aE the step loop scoreboards as a range).
            gemmLaneBytes = UInt8(operands.laneBytes)
            let pointers = [Self.slot(.scalar, Int(instruction.b)), Self.slot(.scalar, Int(instruction.c))]
            sources = pointers
            destinations = pointers
        } else {
            for operand in spec.operands {
                switch operand {
                case .register(let file, let field):
                    let slot = Self.slot(file, Int(instruction.register(field)))
                    if first && hasResult {
                        // An accumulating destination is also a source (ISA.md 6.1); its WAW
                        // slot already waits for the same ready cycle, so it needs no RAW slot.
                        destinations.append(slot)
                    } else {
                        sources.append(slot)
                    }
                    first = false
                case .memory:
                    sources.append(Self.slot(.scalar, Int(instruction.b)))
                    imm = instruction.imm
                case .immediate:
                    imm = instruction.imm
                case .target:
                    // Absolute target; a pc outside the code traps when it is fetched.
                    imm = Int32(clamping: pc + Int(instruction.imm))
                }
            }
        }
        if spec.readsVL { sources.append(Scoreboard.vl) }
        if spec.roles.contains(.writesVL) { destinations.append(Scoreboard.vl) }
        precondition(sources.count <= 4 && destinations.count <= 2, "operand roles exceed the decoded slots")
        let ready = Scoreboard.alwaysReady, discard = Scoreboard.discard
        func source(_ i: Int) -> UInt8 { UInt8(i < sources.count ? (sources[i] == Scoreboard.scalar ? ready : sources[i]) : ready) }
        func destination(_ i: Int) -> UInt8 {
            UInt8(i < destinations.count ? (destinations[i] == Scoreboard.scalar ? discard : destinations[i]) : discard)
        }
        s0 = source(0); s1 = source(1); s2 = source(2); s3 = source(3)
        d0 = destination(0); d1 = destination(1)
        w0 = d0 == UInt8(discard) ? UInt8(ready) : d0
        w1 = d1 == UInt8(discard) ? UInt8(ready) : d1
        switch spec.timing {
        case .floatLanes, .floatLanesChain: floatLanes = true
        case .memory(let space, let size, load: false, _):
            storeSpace = space == .weightSRAM ? 2 : 1
            switch size {
            case .activeLanes(let laneBytes): storeLaneBytes = Int32(laneBytes)
            default: storeFixed = Int32(size.bytes(vl: 0, rows: config.rows, rowBytes: config.rowBytes))
            }
        default: break
        }
        latency = Int32(spec.resultLatency.map { $0.reduce(0) { $0 + config.latency($1) } } ?? 0)
    }

    /// The scoreboard slot of register `index` of `file`.
    static func slot(_ file: RegisterClass, _ index: Int) -> Int {
        switch file {
        case .scalar: Scoreboard.scalar + index
        case .trit: Scoreboard.trit + index
        case .matrix: Scoreboard.matrix + index
        case .vector: Scoreboard.vector + index
        case .accumulator: Scoreboard.accumulator + index
        }
    }
}

/// The instruction being executed, read in place: the step loop and the handlers read each
/// field they need straight from the decoded code. (A copy of the whole struct on the stack,
/// read back field by field right away, defeats the host's store-to-load forwarding and
/// stalls every instruction.)
struct InstructionRef {
    let pointer: UnsafePointer<DecodedInstruction>

    @inline(__always) var opcode: Opcode { pointer.pointee.opcode }
    @inline(__always) var group: InstructionGroup { pointer.pointee.group }
    @inline(__always) var fault: DecodedInstruction.Fault { pointer.pointee.fault }
    @inline(__always) var a: Int32 { pointer.pointee.a }
    @inline(__always) var b: Int32 { pointer.pointee.b }
    @inline(__always) var c: Int32 { pointer.pointee.c }
    @inline(__always) var d: Int32 { pointer.pointee.d }
    @inline(__always) var imm: Int32 { pointer.pointee.imm }
    @inline(__always) var s0: UInt8 { pointer.pointee.s0 }
    @inline(__always) var s1: UInt8 { pointer.pointee.s1 }
    @inline(__always) var s2: UInt8 { pointer.pointee.s2 }
    @inline(__always) var s3: UInt8 { pointer.pointee.s3 }
    @inline(__always) var d0: UInt8 { pointer.pointee.d0 }
    @inline(__always) var d1: UInt8 { pointer.pointee.d1 }
    @inline(__always) var w0: UInt8 { pointer.pointee.w0 }
    @inline(__always) var w1: UInt8 { pointer.pointee.w1 }
    @inline(__always) var latency: Int32 { pointer.pointee.latency }
    @inline(__always) var floatLanes: Bool { pointer.pointee.floatLanes }
    @inline(__always) var storeSpace: UInt8 { pointer.pointee.storeSpace }
    @inline(__always) var storeFixed: Int32 { pointer.pointee.storeFixed }
    @inline(__always) var storeLaneBytes: Int32 { pointer.pointee.storeLaneBytes }
    @inline(__always) var gemmLaneBytes: UInt8 { pointer.pointee.gemmLaneBytes }
    @inline(__always) var word: UInt32 { pointer.pointee.word }
    @inline(__always) var region: UInt16 { pointer.pointee.region }
}
