import NMPISA
import NMPTrits

/// The state the instruction handlers (Execution/Instructions/*.swift) act on during one
/// run: the config's shape, the raw register and memory buffers, `vl`, the loop stack and
/// DMA queue, and the outputs of the instruction being executed.
///
/// The step loop (`Simulator.execute`) keeps one `Core` in a local variable and calls the
/// handlers, which are `@inline(__always)`, so that after inlining every field lives in a
/// register or a stack slot as the step loop's own locals would: no allocation, no
/// existential or closure per instruction.
struct Core {
    // MARK: The machine's shape (ISA.md 3.1, 3.2)

    let vlen: Int, rows: Int, rowBytes: Int, tileBytes: Int
    let packing: TritPacking
    let wGeometry: BankGeometry, aGeometry: BankGeometry
    let dmaLatency: Int, dramBytesPerCycle: Int
    /// Lanes the float32 unit processes per cycle (ISA.md 6.10).
    let floatLanes: Int

    // MARK: Registers and memories (ISA.md 2.1, 2.6)

    let x: UnsafeMutablePointer<UInt32>
    let t: UnsafeMutablePointer<Int8>
    let m: UnsafeMutablePointer<Int8>
    /// The matrix registers' packed bytes (what `ldm` writes) and whether `m` is current.
    let mPacked: UnsafeMutablePointer<UInt8>
    let mDecoded: UnsafeMutablePointer<Bool>
    let registers: RegisterFiles
    let v: UnsafeMutablePointer<Int8>
    let a: UnsafeMutablePointer<Int32>
    let wsram: UnsafeMutablePointer<UInt8>, wsramSize: Int
    let asram: UnsafeMutablePointer<UInt8>, asramSize: Int
    let dram: UnsafeMutablePointer<UInt8>, dramSize: Int

    // MARK: Units

    let loops: LoopStack
    let trits: TritCodec
    /// `mmac`'s lookup tables per int8 vector.
    let vectorTables: VectorTables
    /// Rows unpacked by `ldt`/`ldm` before they are known to be valid.
    let scratch: UnsafeMutablePointer<Int8>
    /// 2 * VLEN floats: `fsum`'s tree, and a copy of a float matrix product's vector.
    let floatScratch: UnsafeMutablePointer<Float>
    /// Words per weight-SRAM bank of a strided access.
    let bankScratch: UnsafeMutablePointer<Int>
    /// Per matrix register: the vl its trit counts were taken for, and the +1 and -1 counts.
    let matrixCountVL: UnsafeMutablePointer<Int>
    let matrixPlus: UnsafeMutablePointer<Int>
    let matrixMinus: UnsafeMutablePointer<Int>
    var dma: DMAQueue
    var array: ArrayQueue

    // MARK: Architectural state the handlers change

    var vl: Int
    /// Loop stack height and the top entry's end (-1: empty), for the loop check.
    var loopCount = 0, loopEnd = -1

    // MARK: Counts only the handlers see

    /// Trit-MACs since the run began, for the add/sub/skip split: nonzero = add + sub,
    /// sum = add - sub, total = add + sub + skip.
    var tritNonzero = 0, tritSum = 0, tritTotal = 0
    /// Bytes of the DMA transfer the current instruction enqueued (0 otherwise), for the
    /// instruction's tally (the DMA events count with the instruction that enqueued them).
    var dmaLength = 0

    // MARK: The instruction being executed

    /// Its pc and issue cycle, for traps.
    var pc = 0, issue = 0
    /// What its handler reports back: the next pc, whether control was redirected (a taken
    /// branch, jump or skipped loop pays `branchPenalty`), and for a memory instruction the
    /// issue cycles its access holds and the ideal for its size (ISA.md 6.2).
    var nextPC = 0
    var taken = false
    var occupancy = 1, ideal = 1

    init(simulator s: Simulator) {
        let config = s.config
        vlen = config.vlen; rows = config.rows; rowBytes = config.rowBytes; tileBytes = config.tileBytes
        packing = config.packing
        wGeometry = BankGeometry(banks: config.weightSRAM.banks, width: config.weightSRAM.bankWidth)
        aGeometry = BankGeometry(banks: config.activationSRAM.banks, width: config.activationSRAM.bankWidth)
        dmaLatency = config.dmaLatency; dramBytesPerCycle = config.dramBytesPerCycle
        floatLanes = config.floatLanes
        x = s.registers.x; t = s.registers.t; m = s.registers.m; v = s.registers.v; a = s.registers.a
        mPacked = s.registers.mPacked; mDecoded = s.registers.mDecoded; registers = s.registers
        vectorTables = s.vectorTables
        wsram = s.weightSRAM.bytes; wsramSize = s.weightSRAM.size
        asram = s.activationSRAM.bytes; asramSize = s.activationSRAM.size
        dram = s.dram.bytes; dramSize = s.dram.size
        loops = s.loops; trits = s.trits; scratch = s.scratch; floatScratch = s.floatScratch; bankScratch = s.bankScratch
        matrixCountVL = s.matrixCountVL; matrixPlus = s.matrixPlus; matrixMinus = s.matrixMinus
        dma = s.dma
        array = s.array
        vl = s.vl
    }

    // MARK: Helpers shared by the handlers

    /// Writes scalar register `index` unless it is r0 (ISA.md 2.1).
    @inline(__always)
    func setX(_ index: Int32, _ value: UInt32) {
        if index != 0 { x[Int(index)] = value }
    }

    /// Scalar register `index`.
    @inline(__always)
    func X(_ index: Int32) -> UInt32 { x[Int(index)] }

    /// Lane 0 of accumulator `index`, and likewise for the other vector files.
    @inline(__always)
    func acc(_ index: Int32) -> UnsafeMutablePointer<Int32> { a + Int(index) * vlen }
    @inline(__always)
    func int8(_ index: Int32) -> UnsafeMutablePointer<Int8> { v + Int(index) * vlen }
    @inline(__always)
    func tritRow(_ index: Int32) -> UnsafeMutablePointer<Int8> { t + Int(index) * vlen }

    /// Matrix register `index` in its Int8 form, unpacked from its packed bytes if need be.
    @inline(__always)
    func decodedMatrix(_ index: Int) -> UnsafeMutablePointer<Int8> {
        registers.decodeMatrix(index, trits: trits, rowBytes: rowBytes, scratch: scratch)
        return m + index * rows * vlen
    }

    /// The effective address of `[rb + imm]` (ISA.md 7.1): the sum wraps modulo 2^32.
    @inline(__always)
    func effectiveAddress(_ ins: InstructionRef) -> Int {
        Int(x[Int(ins.b)] &+ UInt32(bitPattern: ins.imm))
    }

    /// Performs the DMA copies whose end cycle is at or before `cycle` (ISA.md 6.5).
    @inline(__always)
    mutating func completeTransfers(upTo cycle: Int) {
        dma.complete(upTo: cycle, wsram: wsram, asram: asram, dram: dram)
    }

    /// A trap of the instruction being executed, at its issue cycle.
    func trap(_ cause: TrapCause, _ word: UInt32, _ detail: String) -> Trap {
        Trap(cause: cause, pc: pc, word: word, cycle: issue, detail: detail)
    }
}
