import NMPSimulator
import NMPSupport

/// The same model with FP16 weights on the same machine and energy table: the baseline the
/// BitNet b1.58 paper compares against.
///
/// It is simulated (`simulated`): the same compiler and schedules, everything but the
/// projections as on the ternary machine, and the projections on the FP16 array that
/// replaces the ternary one, of equal peak MACs (`hgemm`, ISA.md 6.12; `HalfLinearPlan`),
/// their binary16 weights streamed from the same DRAM. Only when the fp16 weights of the
/// simulated layers would not fit the host memory budget are its projections a roofline
/// estimate (FP16 weights at the DRAM bandwidth, or the MACs at ROWS x VLEN per cycle,
/// whichever is slower) with the rest as simulated here.
public struct FP16Baseline: Sendable {
    public let weightBytes: Int
    public let cyclesPerToken: Double
    public let picojoulesPerToken: Double
    /// Whether every operation was simulated, or the projections estimated (a model too large
    /// for the host memory budget).
    public let simulated: Bool
    /// Its bound: the sum of its operations' bounds (`OperationCost.boundCycles`) per token
    /// when simulated, else the estimate itself.
    public let boundCyclesPerToken: Double
    /// Per operation kind, the whole pass, not per token (simulated only).
    public let operations: [OperationCost]
    /// Its DRAM bytes over the pass (simulated only; 0 otherwise).
    public var dramBytes: Int { operations.reduce(0) { $0 + $1.dramBytes } }
}

/// What simulating a decoder pass will take, checked before anything large is built: the
/// positions against `max_position_embeddings`, the model's shape (head_dim even, KV heads
/// dividing the heads), every kernel's plan against the machine's SRAMs and DRAM, and every
/// size against 64-bit overflow. Building one (it compiles the program and drops it) takes
/// milliseconds and allocates no weights; a command makes all its plans first, so that a
/// bad request fails before any simulation runs.
public struct DecoderPlan: Sendable {
    public let model: ModelConfig
    public let machine: MachineConfig
    /// Tokens of the pass (1 for a decode step, N for a prefill), at positions
    /// `context ..< context + tokens`.
    public let tokens: Int
    public let context: Int
    public let kvFormat: KVCacheFormat
    /// Layers simulated: 2 (or 1 for a one-layer model). The first layer follows the
    /// embedding, every later one a layer, so layer 2 stands for layers 2 ... N exactly.
    public let simulatedLayers: Int
    /// Packed ternary weight bytes of all layers' projections, as the compiler lays them out
    /// (rows padded to ROWS, columns to VLEN).
    public let packedWeightBytes: Int
    /// The same weights in FP16: 2 bytes per ternary parameter.
    public let fp16WeightBytes: Int
    /// DRAM the whole model's pass needs (every layer's weights and KV cache), and whether
    /// the machine's DRAM holds it (the simulation itself needs only `simulatedLayers`).
    public let fullModelDRAMBytes: Int
    public var fitsDRAM: Bool { fullModelDRAMBytes <= machine.dramSize }
    /// Where the compiler chose a smaller schedule than its fastest because the machine's
    /// SRAMs are small, or another kernel (`ProgramBuilder.scheduleNotes`).
    public let scheduleNotes: [String]

    public init(model: ModelConfig, machine: MachineConfig, tokens: Int, context: Int, kvFormat: KVCacheFormat = .bf16) throws(CompileError) {
        guard tokens >= 1 else { throw CompileError("at least one token is needed (got \(tokens))") }
        guard context >= 0 else { throw CompileError("the context length must not be negative (got \(context))") }
        let (end, overflow) = context.addingReportingOverflow(tokens)
        guard !overflow, end <= model.maxPositions else {
            throw CompileError(tokens == 1
                ? "a decode step after a context of \(context) tokens is at position \(context), but max_position_embeddings is \(model.maxPositions): the context can be at most \(model.maxPositions - 1)"
                : "a prompt of \(tokens) tokens after a context of \(context) needs \(context) + \(tokens) positions, but max_position_embeddings is \(model.maxPositions)")
        }
        guard model.headDim % 2 == 0 else {
            throw CompileError("head_dim is \(model.headDim): RoPE rotates pairs of features, so it must be even")
        }
        guard model.keyValueHeads >= 1, model.attentionHeads % model.keyValueHeads == 0 else {
            throw CompileError("num_key_value_heads (\(model.keyValueHeads)) must divide num_attention_heads (\(model.attentionHeads)) for grouped-query attention")
        }
        let simulated = min(2, model.layers)
        let layout = try DecoderLayout(model: model, machine: machine, layers: simulated, tokens: tokens, context: context, kvFormat: kvFormat)
        // Building the program is the complete check: every kernel checks its buffers
        // against the machine (the code is dropped; the simulation builds it again).
        scheduleNotes = try DecoderProgram.build(model: model, machine: machine, layout: layout,
                                                 weightScales: Array(repeating: Array(repeating: 1, count: 7), count: simulated),
                                                 tableFormat: .bf16).scheduleNotes
        // Host memory for the simulated layers' trits and the image: bounded.
        let host = Checked.product([3, layout.weightsEnd])
        guard let host, host <= Self.hostMemoryBudget else {
            throw CompileError("simulating \(simulated) layer(s) of this model over \(tokens) token(s) needs more than \(Self.hostMemoryBudget >> 30) GiB of host memory")
        }
        guard let packed = Checked.product([layout.packedBytesPerLayer, model.layers]),
              let fp16Bytes = Checked.product([2, model.ternaryParameters]) else {
            throw CompileError("the model's weight bytes (\(model.layers) layers) overflow a 64-bit count")
        }
        let perLayer = Checked.sum([layout.packedBytesPerLayer,
                                    Checked.product([2 * kvFormat.bytes, model.keyValueHeads, layout.capacity, model.headDim]),
                                    Checked.product([2, 3 * model.hiddenSize + model.intermediateSize])])
        let extra = perLayer.flatMap { Checked.product([$0, model.layers - simulated]) }
        guard let extra, let full = Checked.sum([layout.totalBytes, extra]) else {
            throw CompileError("the model's DRAM size overflows a 64-bit count")
        }
        self.model = model
        self.machine = machine
        self.tokens = tokens
        self.context = context
        self.kvFormat = kvFormat
        simulatedLayers = simulated
        packedWeightBytes = packed
        fp16WeightBytes = fp16Bytes
        fullModelDRAMBytes = full
    }

    /// Host memory the simulated layers' weights and image may use.
    public static let hostMemoryBudget = 4 << 30
}

/// A whole decoder pass (a decode token, or a prefill of N tokens) simulated on the machine:
/// every operation of ISA.md chapter 11 runs there; nothing is estimated.
///
/// The simulation runs the embedding, the first two layers (seeded random weights of the
/// exact shapes), the final norm and the LM head. All layers run the same code on tensors at
/// different DRAM addresses, addresses are loaded with the same instructions
/// (`ProgramBuilder.li(_:_:wide:)`), and no cycle depends on a weight value, so layers
/// 2 ... N cost exactly what the second layer costs (the first differs: it follows the
/// embedding); a test checks this against the all-layer run. The embedding and head tables
/// are left as zeros (their values change no count); only the split of trit-MACs into
/// adds, subtracts and skips depends on the weights, so the energy of layers 2 ... N uses
/// the second layer's random trits.
public struct DecoderSimulation {
    public let plan: DecoderPlan
    /// The simulated pass.
    public let run: DecoderRun
    /// Per operation kind, the whole pass over all `model.layers` layers (not per token).
    public let operations: [OperationCost]
    /// Per operation kind, one decoder layer (the second simulated layer: any layer after the first).
    public let layerOperations: [OperationCost]

    public var model: ModelConfig { plan.model }
    public var machine: MachineConfig { plan.machine }
    public var tokens: Int { plan.tokens }
    public var context: Int { plan.context }
    public var packedWeightBytes: Int { plan.packedWeightBytes }
    public var fp16WeightBytes: Int { plan.fp16WeightBytes }

    /// Plans (`DecoderPlan`) and simulates the decoder for `tokens` tokens after `context`.
    public init(model: ModelConfig, machine: MachineConfig, tokens: Int, context: Int, seed: UInt64 = 1,
                maxCycles: Int = Simulator.defaultMaxCycles) throws(CompileError) {
        try self.init(plan: DecoderPlan(model: model, machine: machine, tokens: tokens, context: context), seed: seed, maxCycles: maxCycles)
    }

    /// Simulates a planned pass.
    /// - Parameters:
    ///   - maxCycles: the cycle budget of the simulated run; reaching it is an error.
    ///   - trace: called with every retired instruction of the pass (not of the FP16 baseline).
    public init(plan: DecoderPlan, seed: UInt64 = 1, maxCycles: Int = Simulator.defaultMaxCycles,
                progress: ((Int, Int) -> Void)? = nil, trace: ((TraceRecord) -> Void)? = nil) throws(CompileError) {
        self.plan = plan
        var weights = DecoderWeights.random(plan.model, layers: plan.simulatedLayers, seed: seed, tables: false)
        weights.lmHead = nil
        let program = try DecoderProgram(weights: weights, machine: plan.machine, tokenIDs: Array(repeating: 0, count: plan.tokens),
                                         context: plan.context, kvFormat: plan.kvFormat)
        run = try DecoderRun(program, maxCycles: maxCycles, progress: progress, trace: trace)
        (operations, layerOperations) = Self.extrapolate(run.operations, layers: plan.model.layers, simulated: plan.simulatedLayers)
        if Checked.product([3, plan.fp16WeightBytes / max(1, plan.model.layers), plan.simulatedLayers]) ?? Int.max
            <= DecoderPlan.hostMemoryBudget {
            do {
                // The FP16 baseline: the same machine; DRAM sized for its fp16 weights (capacity
                // changes no cycle).
                var machine = plan.machine
                var probe = machine
                probe.dramSize = Int(UInt32.max)
                let layout = try DecoderLayout(model: plan.model, machine: probe, layers: plan.simulatedLayers,
                                               tokens: plan.tokens, context: plan.context, kvFormat: plan.kvFormat, projectionFormat: .fp16)
                while machine.dramSize < layout.totalBytes { machine.dramSize *= 2 }
                let baseline = try DecoderProgram(weights: weights, machine: machine, tokenIDs: Array(repeating: 0, count: plan.tokens),
                                                  context: plan.context, kvFormat: plan.kvFormat, projections: .fp16)
                let baselineRun = try DecoderRun(baseline, maxCycles: maxCycles)
                baselineOperations = Self.extrapolate(baselineRun.operations, layers: plan.model.layers, simulated: plan.simulatedLayers).0
                baselineEstimateReason = nil
            } catch {
                // The ternary pass stands on its own; the baseline falls back to the estimate.
                baselineOperations = []
                baselineEstimateReason = "the FP16 baseline does not run on this machine: \(error.message)"
            }
        } else {
            baselineOperations = []
            baselineEstimateReason = "the fp16 weights of \(plan.simulatedLayers) layer(s) exceed the simulation's host memory budget of \(DecoderPlan.hostMemoryBudget >> 30) GiB"
        }
    }

    /// The FP16 baseline's operations, whole pass (empty when it is estimated:
    /// `baselineEstimateReason`).
    let baselineOperations: [OperationCost]
    /// Why the FP16 baseline is an estimate (nil: it is simulated).
    public let baselineEstimateReason: String?

    /// Whole-pass totals per operation kind from a run of `simulated` layers: the once-per-pass
    /// operations and the first layer as run, the last simulated layer for every other.
    static func extrapolate(_ parts: [OperationCost], layers: Int, simulated: Int) -> ([OperationCost], [OperationCost]) {
        var totals: [OperationCost] = []
        var perLayer: [OperationCost] = []
        for op in DecoderOperation.allCases {
            var total = OperationCost(operation: op, layer: nil)
            var layer = OperationCost(operation: op, layer: nil)
            var found = false
            for part in parts where part.operation == op {
                found = true
                if let l = part.layer {
                    if l == simulated - 1 {
                        layer.add(part)
                        total.add(part, times: l == 0 ? 1 : layers - l)
                    } else {
                        total.add(part)
                    }
                } else {
                    total.add(part)
                }
            }
            if found {
                totals.append(total)
                if op.perLayer { perLayer.append(layer) }
            }
        }
        return (totals, perLayer)
    }

    // MARK: Totals per token

    public var cycles: Int { operations.reduce(0) { $0 + $1.cycles } }
    public var cyclesPerToken: Double { Double(cycles) / Double(tokens) }
    public var tokensPerSecond: Double { machine.clockGHz * 1e9 / cyclesPerToken }
    public var picojoules: Double { operations.reduce(0) { $0 + $1.energy(machine).total } }
    public var picojoulesPerToken: Double { picojoules / Double(tokens) }
    public var dramBytes: Int { operations.reduce(0) { $0 + $1.dramBytes } }
    public var dramBytesPerToken: Double { Double(dramBytes) / Double(tokens) }
    /// The fraction of cycles and of energy that came from simulation: 1 (every operation
    /// runs on the simulated machine; nothing is estimated).
    public var simulatedShare: Double { 1 }

    private var projections: [OperationCost] { operations.filter { $0.operation.unit == .ternary } }
    public var projectionCycles: Int { projections.reduce(0) { $0 + $1.cycles } }

    /// Trit-MACs per cycle over the whole pass against the peak ROWS x VLEN.
    public var macUtilization: Double {
        Double(model.ternaryParameters) * Double(tokens) / (Double(cycles) * Double(machine.peakTritMACsPerCycle))
    }
    /// The pass's lower bound in cycles: the larger of its DRAM traffic (every operation's
    /// bytes, as simulated) at the DMA bandwidth and its trit-MACs at the peak.
    public var rooflineCycles: Double {
        max(Double(dramBytes) / Double(machine.dramBytesPerCycle),
            Double(model.ternaryParameters) * Double(tokens) / Double(machine.peakTritMACsPerCycle))
    }
    /// The sum of every operation's bound (`OperationCost.boundCycles`) over the pass.
    public var boundCycles: Double { operations.reduce(0) { $0 + $1.boundCycles(machine) } }

    /// The ideal roofline per token of a machine whose projection weights take `weightBytes`:
    /// every projection weight read from DRAM once per pass, with the other operations' DRAM
    /// bytes as simulated (the same code on both machines), or the projections' MACs at the
    /// array's peak (ROWS x VLEN per cycle; the ternary and the FP16 array alike), whichever
    /// is slower. The FP16 baseline's simulated prefill is far above it, because the array's
    /// 8 accumulators let a weight tile serve at most 8 tokens per read.
    public func idealRooflineCyclesPerToken(weightBytes: Int) -> Double {
        let others = operations.filter { $0.operation.unit != .ternary }.reduce(0) { $0 + $1.dramBytes }
        return max(Double(weightBytes + others) / Double(machine.dramBytesPerCycle),
                   Double(model.ternaryParameters) * Double(tokens) / Double(machine.peakTritMACsPerCycle)) / Double(tokens)
    }

    /// `rooflineCycles` / cycles.
    public var rooflineUtilization: Double { rooflineCycles / Double(cycles) }

    /// The same model with FP16 projections (see `FP16Baseline`).
    public var fp16: FP16Baseline {
        if !baselineOperations.isEmpty {
            let ops = baselineOperations, n = Double(tokens)
            return FP16Baseline(weightBytes: fp16WeightBytes, cyclesPerToken: Double(ops.reduce(0) { $0 + $1.cycles }) / n,
                                picojoulesPerToken: ops.reduce(0) { $0 + $1.energy(machine).total } / n, simulated: true,
                                boundCyclesPerToken: ops.reduce(0) { $0 + $1.boundCycles(machine) } / n, operations: ops)
        }
        let e = machine.energy
        let macs = Double(model.ternaryParameters) * Double(tokens)
        let memoryCycles = Double(fp16WeightBytes) / Double(machine.dramBytesPerCycle)
        let computeCycles = macs / Double(machine.peakTritMACsPerCycle)
        let projectionCycles = max(memoryCycles, computeCycles)
        let others = operations.filter { $0.operation.unit != .ternary }
        let otherCycles = Double(others.reduce(0) { $0 + $1.cycles })
        let otherEnergy = others.reduce(0) { $0 + $1.energy(machine).total }
        let sram = e.sramPicojoulesPerByte(size: machine.weightSRAM.size)
        let dynamic = macs * (e.fp16Mul + e.fp16Add) + Double(fp16WeightBytes) * (e.dramRead + 2 * sram)
        let staticEnergy = e.staticPowerMW * projectionCycles / machine.clockGHz
        let cycles = (projectionCycles + otherCycles) / Double(tokens)
        return FP16Baseline(weightBytes: fp16WeightBytes, cyclesPerToken: cycles,
                            picojoulesPerToken: (dynamic + staticEnergy + otherEnergy) / Double(tokens), simulated: false,
                            boundCyclesPerToken: cycles, operations: [])
    }
}
