import NMPISA
import NMPTrits
import NMPSupport

/// The cycle-accurate machine of ISA.md: an image loaded onto a configured machine, run
/// to `halt` or to a trap, then inspected.
///
/// ```swift
/// let simulator = try Simulator(image: image, config: MachineConfig())
/// let result = simulator.run()
/// print(result.counters.cycles, simulator.scalar(4))
/// ```
///
/// The code is decoded once at load; the step loop works on the decoded form, keeps its
/// state in locals and raw buffers, and allocates nothing per instruction.
public final class Simulator {
    /// The cycle budget `run()` uses when none is given: 10^9 cycles (one simulated second
    /// at 1 GHz).
    public static let defaultMaxCycles = 1_000_000_000

    /// The machine the image runs on.
    public let config: MachineConfig
    /// The program.
    public let image: MicrocodeImage

    let code: UnsafeMutableBufferPointer<DecodedInstruction>
    let weightSRAM: Memory
    let activationSRAM: Memory
    let dram: Memory
    let registers: RegisterFiles
    let ready: UnsafeMutablePointer<Int>
    let loops: LoopStack
    let dma: DMAQueue
    /// The ternary array's queue of matrix products (ISA.md 6.12).
    let array: ArrayQueue
    let trits: TritCodec
    /// `mmac`'s lookup tables per int8 vector.
    let vectorTables: VectorTables
    /// Scratch rows for unpacking (ROWS * VLEN + 8: the decoder writes 8 bytes per packed byte).
    let scratch: UnsafeMutablePointer<Int8>
    /// VLEN floats for `fsum`'s reduction tree.
    let floatScratch: UnsafeMutablePointer<Float>
    /// Words per bank of a strided access (the float matrix products, ISA.md 6.10).
    let bankScratch: UnsafeMutablePointer<Int>
    /// Per matrix register: the vl its trit counts were taken for (-1: not yet), and the
    /// counts of +1 and -1 trits in lanes below that vl.
    let matrixCountVL: UnsafeMutablePointer<Int>
    let matrixPlus: UnsafeMutablePointer<Int>
    let matrixMinus: UnsafeMutablePointer<Int>
    /// Per instruction (by pc): its issues, and the sums of vl and DMA lengths over them.
    /// Per pc rather than per opcode, so that one tally serves the run's totals (summed by
    /// opcode) and the code regions' (summed by region) at no extra cost per instruction.
    let tallies: UnsafeMutablePointer<OpcodeTally>
    /// The code regions' names; one unnamed region when none were given.
    let regionNames: [String]
    /// Whether regions were given (`RunResult.regions` is empty otherwise).
    let reportsRegions: Bool
    /// Per region, the running sums of `RegionCounts`' fields.
    let regionTotals: UnsafeMutablePointer<Int>

    /// The program counter (after a run: halt's pc, or the trapping instruction's).
    public internal(set) var pc: Int
    /// The active vector length.
    public internal(set) var vl: Int
    private var result: RunResult?

    /// Loads `image` onto a reset machine (ISA.md 2.7).
    /// - Parameter regions: names for ranges of the code; the run then reports its cycles,
    ///   stalls, retirements and energy events per region (ISA.md 6.11, `RunResult.regions`).
    /// - Throws: `LoadError` if the config is invalid, the machine does not meet one of the
    ///   image's requirements (`.require`), a data section does not fit its memory, the
    ///   image's packing differs from the config's, the regions do not give one valid region
    ///   per instruction, or the host cannot allocate the memories.
    public convenience init(image: MicrocodeImage, config: MachineConfig = MachineConfig(), regions: CodeRegions? = nil) throws(LoadError) {
        try self.init(image: image, config: config, regions: regions, dramOf: nil)
    }

    /// Loads `image` onto a reset machine whose DRAM is the one `previous` left: DRAM is
    /// off-chip memory and keeps its contents from one program to the next (a model's
    /// weights and KV cache between the passes of a generation), while the SRAMs, registers,
    /// counters and DMA queue start reset. The image's DRAM data, if any, is written over it.
    /// `previous` must not run afterwards (the two share the memory). Throws as
    /// `init(image:config:regions:)`, and if the machines' DRAM sizes differ.
    public convenience init(image: MicrocodeImage, config: MachineConfig, regions: CodeRegions? = nil, continuing previous: Simulator) throws(LoadError) {
        guard previous.config.dramSize == config.dramSize else {
            throw LoadError("the DRAM to continue from has \(previous.config.dramSize) bytes but this machine has \(config.dramSize)")
        }
        try self.init(image: image, config: config, regions: regions, dramOf: previous)
    }

    private init(image: MicrocodeImage, config: MachineConfig, regions: CodeRegions?, dramOf previous: Simulator?) throws(LoadError) {
        do {
            try config.validate()
        } catch {
            throw LoadError("invalid machine config: \(error.description)")
        }
        guard image.packing == config.packing else {
            throw LoadError("the image's weights are packed as '\(image.packing.rawValue)' but the machine's packing is '\(config.packing.rawValue)'; set \"packing\" in the config or reassemble with .packing")
        }
        for requirement in image.requirements {
            let actual = config.value(of: requirement.key)
            guard requirement.isMet(by: actual) else {
                throw LoadError("the program requires \(requirement.key.name) \(requirement.key.exact ? "=" : ">=") \(requirement.value) (\(requirement.directive)), but this machine has \(requirement.key.name) \(actual); run it on a machine that meets the requirement (--config), or adapt the program")
            }
        }
        for (name, data, size) in [("weight SRAM (.wdata)", image.weightData, config.weightSRAM.size),
                                   ("activation SRAM (.adata)", image.activationData, config.activationSRAM.size),
                                   ("DRAM (.ddata)", image.dramData, config.dramSize)] where data.count > size {
            throw LoadError("the image's \(name) data is \(data.count) bytes but the memory holds \(size)")
        }
        try regions?.validate(codeCount: image.code.count)
        guard let weight = Memory(size: config.weightSRAM.size),
              let activation = Memory(size: config.activationSRAM.size),
              let dramMemory = previous?.dram ?? Memory(size: config.dramSize)
        else { throw LoadError("cannot allocate the machine's memories on this host") }
        self.config = config
        self.image = image
        weightSRAM = weight
        activationSRAM = activation
        dram = dramMemory
        weight.bytes.update(from: image.weightData, count: image.weightData.count)
        activation.bytes.update(from: image.activationData, count: image.activationData.count)
        dramMemory.bytes.update(from: image.dramData, count: image.dramData.count)

        code = .allocate(capacity: image.code.count)
        for (index, word) in image.code.enumerated() {
            let region = regions?.regionOfPC[index] ?? 0
            (code.baseAddress! + index).initialize(to: DecodedInstruction(word: word, pc: index, config: config, region: region))
        }
        regionNames = regions?.names ?? [""]
        reportsRegions = regions != nil
        regionTotals = .allocate(capacity: max(1, regionNames.count) * RegionCounts.fields)
        regionTotals.initialize(repeating: 0, count: max(1, regionNames.count) * RegionCounts.fields)
        registers = RegisterFiles(vlen: config.vlen, rows: config.rows, tileBytes: config.tileBytes)
        ready = .allocate(capacity: Scoreboard.count)
        ready.initialize(repeating: 0, count: Scoreboard.count)
        loops = LoopStack(depth: config.loopDepth)
        dma = DMAQueue(depth: config.dmaQueueDepth)
        array = ArrayQueue(depth: config.arrayQueueDepth)
        trits = TritCodec(packing: config.packing, vlen: config.vlen)
        vectorTables = VectorTables(packing: config.packing, vlen: config.vlen, rows: config.rows)
        scratch = .allocate(capacity: config.rows * config.vlen + 8)
        scratch.initialize(repeating: 0, count: config.rows * config.vlen + 8)
        floatScratch = .allocate(capacity: 2 * config.vlen)
        floatScratch.initialize(repeating: 0, count: 2 * config.vlen)
        bankScratch = .allocate(capacity: config.weightSRAM.banks)
        bankScratch.initialize(repeating: 0, count: config.weightSRAM.banks)
        matrixCountVL = .allocate(capacity: RegisterFiles.matrixCount)
        matrixCountVL.initialize(repeating: -1, count: RegisterFiles.matrixCount)
        matrixPlus = .allocate(capacity: RegisterFiles.matrixCount)
        matrixPlus.initialize(repeating: 0, count: RegisterFiles.matrixCount)
        matrixMinus = .allocate(capacity: RegisterFiles.matrixCount)
        matrixMinus.initialize(repeating: 0, count: RegisterFiles.matrixCount)
        tallies = .allocate(capacity: max(1, image.code.count))
        tallies.initialize(repeating: OpcodeTally(), count: max(1, image.code.count))
        pc = Int(image.entry)
        vl = config.vlen
    }

    deinit {
        code.deallocate()
        registers.deallocate()
        ready.deallocate()
        scratch.deallocate()
        floatScratch.deallocate()
        bankScratch.deallocate()
        matrixCountVL.deallocate()
        matrixPlus.deallocate()
        matrixMinus.deallocate()
        tallies.deallocate()
        regionTotals.deallocate()
        loops.deallocate()
        dma.deallocate()
        array.deallocate()
        trits.deallocate()
        vectorTables.deallocate()
    }

    /// Runs to `halt` or a trap. A second call returns the first run's result.
    public func run(maxCycles: Int = Simulator.defaultMaxCycles) -> RunResult {
        var observer = SilentObserver()
        return run(maxCycles: maxCycles, observer: &observer)
    }

    /// Runs to `halt` or a trap, calling `progress(cycle, retired)` every 4,194,304
    /// retired instructions. (A concrete entry point, so the step loop is specialized
    /// inside this module; a generic observer from another module would not be.)
    public func run(maxCycles: Int = Simulator.defaultMaxCycles, progress: @escaping (Int, Int) -> Void) -> RunResult {
        var observer = ProgressCallback(callback: progress)
        return run(maxCycles: maxCycles, observer: &observer)
    }

    /// Runs to `halt` or a trap, calling `trace` for every retired instruction.
    public func run(maxCycles: Int = Simulator.defaultMaxCycles, trace: @escaping (TraceRecord) -> Void) -> RunResult {
        var observer = TraceCallback(callback: trace)
        return run(maxCycles: maxCycles, observer: &observer)
    }

    /// Runs to `halt` or a trap, reporting to `observer`. A second call returns the first
    /// run's result.
    public func run<Observer: RunObserver>(maxCycles: Int, observer: inout Observer) -> RunResult {
        if let result { return result }
        var (counters, trap) = execute(maxCycles: maxCycles, observer: &observer)
        var byOpcode = [OpcodeTally](repeating: OpcodeTally(), count: 256)
        for pc in 0..<code.count { byOpcode[Int(code[pc].opcode.rawValue)].add(tallies[pc].instruction(code[pc])) }
        let tallyByOpcode = CaseTable<Opcode, OpcodeTally> { byOpcode[Int($0.rawValue)] }
        counters.retiredByOpcode = tallyByOpcode.mapValues(\.count)
        let events = eventCounts(tallies: tallyByOpcode, counters: counters, config: config)
        let finished = RunResult(trap: trap, counters: counters, events: events, config: config,
                                 regions: reportsRegions ? regionReport() : [])
        result = finished
        return finished
    }
}

/// What a run produced: how it ended, its counters and energy events, and the energy
/// and derived figures on the config it ran on.
public struct RunResult: Sendable {
    /// The trap that stopped the run, or nil if it halted.
    public var trap: Trap?
    public var counters: Counters
    /// Units of every energy event (ISA.md 3.3).
    public var events: CaseTable<EnergyEvent, Int>
    /// The machine it ran on.
    public var config: MachineConfig
    /// Per code region given to `Simulator(image:config:regions:)`, in the order of its
    /// names: what the region accounts for (ISA.md 6.11). Empty when no regions were given.
    public var regions: [RegionTotals] = []

    /// True if the run reached `halt`.
    public var halted: Bool { trap == nil }
}
