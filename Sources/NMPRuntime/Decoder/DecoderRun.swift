import NMPISA
import NMPSimulator
import NMPSupport

/// What one operation of a decoder pass cost on the machine: from the simulator's region
/// totals (ISA.md 6.x: an instruction's region receives its cycles, stalls and events).
public struct OperationCost: Sendable {
    public let operation: DecoderOperation
    /// The layer (nil: a once-per-pass operation, or a sum over layers).
    public let layer: Int?
    public var cycles = 0
    public var retired = 0
    public var stalls = CaseTable<StallCause, Int>()
    public var events = CaseTable<EnergyEvent, Int>()
    /// Lanes the float unit processed (`RegionTotals.floatLaneOps`).
    public var floatLaneOps = 0

    public init(operation: DecoderOperation, layer: Int?) {
        self.operation = operation
        self.layer = layer
    }

    public var dramBytes: Int { events[.dramRead] + events[.dramWrite] }
    public var stallCycles: Int { stalls.sum() }
    /// Trit-MACs on the ternary array, whatever their trit (+1, -1 or a skipped 0).
    public var tritMACs: Int { events[.tritAdd] + events[.tritSub] + events[.tritSkip] }
    /// MACs of the matrix array: trit-MACs, or the FP16 array's (one `fp16Mul` each) in the
    /// FP16 baseline; both arrays have ROWS x VLEN MACs per cycle (ISA.md 6.12).
    public var arrayMACs: Int { tritMACs + events[.fp16Mul] }

    /// Energy at `config`'s prices, static power over the operation's cycles included.
    public func energy(_ config: MachineConfig) -> EnergyReport { EnergyReport(events: events, cycles: cycles, config: config) }

    mutating func add(_ other: OperationCost, times n: Int = 1) {
        cycles += n * other.cycles
        retired += n * other.retired
        for cause in StallCause.allCases { stalls[cause] += n * other.stalls[cause] }
        for event in EnergyEvent.allCases { events[event] += n * other.events[event] }
        floatLaneOps += n * other.floatLaneOps
    }

    /// The fewest cycles the operation could take on `config`: the larger of its DRAM bytes
    /// at the DMA bandwidth and its work at its unit's peak (the array's MACs at ROWS x VLEN per
    /// cycle; the float unit's lanes at `floatLanes` per cycle, a fused multiply-add or an
    /// `fexp` being one lane each). Cycles over this bound are what a better schedule could
    /// win; the stall causes say where they go.
    public func boundCycles(_ config: MachineConfig) -> Double {
        let dram = Double(dramBytes) / Double(config.dramBytesPerCycle)
        let macs = Double(arrayMACs) / Double(config.peakTritMACsPerCycle)
        let lanes = Double(floatLaneOps) / Double(config.floatLanes)
        return max(dram, macs, lanes)
    }

    /// The busy fraction of the unit the operation runs on: trit-MACs against ROWS x VLEN
    /// per cycle (ternary array), float lane-operations against floatLanes per cycle (float
    /// unit), DRAM bytes against the DMA bandwidth (DMA).
    public func utilization(_ config: MachineConfig) -> Double {
        guard cycles > 0 else { return 0 }
        switch operation.unit {
        case .ternary:
            return Double(arrayMACs) / (Double(cycles) * Double(config.peakTritMACsPerCycle))
        case .float:
            return min(1, Double(floatLaneOps) / (Double(cycles) * Double(config.floatLanes)))
        case .dma:
            return Double(dramBytes) / (Double(cycles) * Double(config.dramBytesPerCycle))
        }
    }
}

/// A decoder pass run on the simulator: its result, the logits of the last token, the KV
/// cache it left, and its cost per operation.
public struct DecoderRun {
    public let program: DecoderProgram
    public let result: RunResult
    /// Logits of the last token, `[vocab]`.
    public let logits: [Float]
    /// Per layer, the KV cache for positions 0 ..< context + tokens, `[kvHeads][positions][headDim]`
    /// elements of the cache format: what the next pass takes as its `cache`.
    public let cache: [(keys: [UInt8], values: [UInt8])]
    /// Cost per operation and layer, in program order.
    public let operations: [OperationCost]

    /// Simulates `program`; `trace`, when given, is called with every retired instruction
    /// (instead of `progress`).
    /// - Throws: `CompileError` if the machine cannot load it or the run traps (a compiler
    ///   bug or a cycle limit: the message names the trap).
    public init(_ program: DecoderProgram, maxCycles: Int = Simulator.defaultMaxCycles,
                progress: ((Int, Int) -> Void)? = nil, trace: ((TraceRecord) -> Void)? = nil) throws(CompileError) {
        try self.init(program, on: try Self.load(program), maxCycles: maxCycles, progress: progress, trace: trace, readsCache: true)
    }

    /// A simulator with `program` loaded (continuing from `previous`'s DRAM when given).
    static func load(_ program: DecoderProgram, continuing previous: Simulator? = nil) throws(CompileError) -> Simulator {
        do {
            if let previous {
                return try Simulator(image: program.image, config: program.machine, regions: program.builder.regions, continuing: previous)
            }
            return try Simulator(image: program.image, config: program.machine, regions: program.builder.regions)
        } catch {
            throw CompileError("cannot load the compiled decoder: \(error.description)")
        }
    }

    /// Runs `program`, already loaded on `simulator`; `readsCache` false leaves `cache` empty
    /// (a generation keeps its cache in the machine's DRAM).
    init(_ program: DecoderProgram, on simulator: Simulator, maxCycles: Int, progress: ((Int, Int) -> Void)?,
         trace: ((TraceRecord) -> Void)? = nil, readsCache: Bool) throws(CompileError) {
        self.program = program
        let result = if let trace { simulator.run(maxCycles: maxCycles, trace: trace) }
                     else { progress.map { simulator.run(maxCycles: maxCycles, progress: $0) } ?? simulator.run(maxCycles: maxCycles) }
        if let trap = result.trap {
            throw CompileError("the compiled decoder trapped: \(trap.cause.rawValue) at pc \(trap.pc), cycle \(trap.cycle): \(trap.detail)")
        }
        self.result = result
        let L = program.layout, m = program.model
        guard let words = DRAMImage.words(simulator, at: L.logits, count: m.vocabSize) else {
            throw CompileError("internal error: the logits are outside DRAM")
        }
        logits = words.map { Float(bitPattern: $0) }
        let row = L.kvFormat.bytes * m.headDim, positions = L.context + L.tokens
        var cache: [(keys: [UInt8], values: [UInt8])] = []
        for layer in L.layers where readsCache {
            var pair: [[UInt8]] = []
            for base in [layer.keys, layer.values] {
                var bytes: [UInt8] = []
                for h in 0..<m.keyValueHeads {
                    bytes += simulator.read(.dram, at: base + h * L.capacity * row, count: positions * row) ?? []
                }
                pair.append(bytes)
            }
            cache.append((pair[0], pair[1]))
        }
        self.cache = cache
        var operations: [OperationCost] = []
        for region in result.regions {
            guard let (op, layer) = DecoderOperation.parse(region: region.name) else {
                // Only the builder's initial region is not an operation, and the compiler
                // enters the embedding's before its first instruction.
                precondition(region.retired == 0, "code outside the decoder's operations: region \(region.name)")
                continue
            }
            operations.append(Self.cost(region, op, layer))
        }
        self.operations = operations
    }

    static func cost(_ region: RegionTotals, _ op: DecoderOperation, _ layer: Int?) -> OperationCost {
        var cost = OperationCost(operation: op, layer: layer)
        cost.cycles = region.cycles
        cost.retired = region.retired
        cost.stalls = region.stalls
        cost.events = region.events
        cost.floatLaneOps = region.floatLaneOps
        return cost
    }

    /// Totals per operation kind, summed over layers, in `DecoderOperation` order.
    public var byOperation: [OperationCost] {
        DecoderOperation.allCases.compactMap { op in
            let parts = operations.filter { $0.operation == op }
            guard !parts.isEmpty else { return nil }
            var total = OperationCost(operation: op, layer: nil)
            for part in parts { total.add(part) }
            return total
        }
    }
}
