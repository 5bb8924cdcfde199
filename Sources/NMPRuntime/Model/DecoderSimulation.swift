import NMPSimulator
import NMPSupport

/// One ternary projection of a decoder layer, compiled and simulated on the machine.
public struct ProjectionCost: Sendable {
    public let shape: LinearShape
    /// Tokens it ran over (1 for a decode step, N for a prefill).
    public let tokens: Int
    /// The simulated run of one instance (one layer's projection).
    public let result: RunResult
    /// Packed weight bytes streamed from DRAM per pass.
    public let packedBytes: Int
}

/// Work outside the ternary projections: done by the host (or a unit nmp does not model),
/// counted and priced, never silently dropped.
public struct HostOperation: Sendable {
    public let name: String
    /// Multiply-accumulates and other arithmetic operations per token, over all layers.
    public let macs: Int
    public let operations: Int
    /// DRAM bytes per token (weights or caches the operation reads or writes).
    public let dramBytes: Int
    /// Estimated energy per token, pJ: MACs at FP16 multiply + add, other operations at
    /// FP16 add, DRAM bytes at the table's DRAM price.
    public let picojoules: Double
    /// Estimated cycles per token on the machine's memory system: DRAM bytes / bandwidth.
    public let cycles: Double
    public let note: String
}

/// The same model with FP16 weights on the same memory system and energy table: the
/// baseline the BitNet b1.58 paper compares against.
public struct FP16Baseline: Sendable {
    public let weightBytes: Int
    public let cyclesPerToken: Double
    public let picojoulesPerToken: Double
}

/// What simulating a decoder for some tokens will take, checked before anything large is
/// built: the positions against `max_position_embeddings`, every projection's plan against
/// the machine (SRAM and DRAM sizes), its host memory against `hostMemoryBudget`, and every
/// size a report counts against 64-bit overflow. Building one costs microseconds; a command
/// makes all its plans first, so that a bad request fails before any simulation runs.
public struct DecoderPlan: Sendable {
    public let model: ModelConfig
    public let machine: MachineConfig
    /// Tokens simulated at once (1 for a decode step, N for a prefill), at positions
    /// `context ..< context + tokens`.
    public let tokens: Int
    public let context: Int
    /// The plan of each projection of `model.linearLayers`, in that order.
    public let projections: [BitLinearPlan]
    /// Packed ternary weight bytes of all layers' projections, as the compiler lays them out
    /// (rows padded to ROWS, columns to VLEN).
    public let packedWeightBytes: Int
    /// The same weights in FP16: 2 bytes per ternary parameter.
    public let fp16WeightBytes: Int
    public let hostOperations: [HostOperation]

    /// Host memory one projection's simulation may use (its trits, inputs and DRAM image):
    /// beyond it, a shape is rejected before anything is allocated.
    public static let hostMemoryBudget = 4 << 30

    public init(model: ModelConfig, machine: MachineConfig, tokens: Int, context: Int) throws(CompileError) {
        guard tokens >= 1 else { throw CompileError("at least one token is needed (got \(tokens))") }
        guard context >= 0 else { throw CompileError("the context length must not be negative (got \(context))") }
        let (end, overflow) = context.addingReportingOverflow(tokens)
        guard !overflow, end <= model.maxPositions else {
            throw CompileError(tokens == 1
                ? "a decode step after a context of \(context) tokens is at position \(context), but max_position_embeddings is \(model.maxPositions): the context can be at most \(model.maxPositions - 1)"
                : "a prompt of \(tokens) tokens after a context of \(context) needs \(context) + \(tokens) positions, but max_position_embeddings is \(model.maxPositions)")
        }
        var plans: [BitLinearPlan] = []
        for shape in model.linearLayers {
            let plan: BitLinearPlan
            do {
                plan = try BitLinearPlan(tokens: tokens, inFeatures: shape.inFeatures, outFeatures: shape.outFeatures, config: machine)
            } catch {
                throw CompileError("\(shape.name) (\(shape.outFeatures) x \(shape.inFeatures)): \(error.message)")
            }
            let host = Checked.sum([shape.parameters, Checked.product([4, tokens, shape.inFeatures]), Checked.product([3, plan.dramBytes])])
            guard let host, host <= Self.hostMemoryBudget else {
                throw CompileError("\(shape.name) (\(shape.outFeatures) x \(shape.inFeatures)) over \(tokens) token(s) needs more than \(Self.hostMemoryBudget >> 30) GiB of host memory to simulate (its trits, inputs and DRAM image); nmp simulates one projection at a time within that budget")
            }
            plans.append(plan)
        }
        let packedPerLayer = Checked.sum(plans.map { Checked.product([$0.blocks, $0.blockBytes]) })
        guard let packedPerLayer, let packed = Checked.product([packedPerLayer, model.layers]),
              let fp16Bytes = Checked.product([2, model.ternaryParameters]) else {
            throw CompileError("the model's weight bytes (\(model.layers) layers) overflow a 64-bit count")
        }
        self.model = model
        self.machine = machine
        self.tokens = tokens
        self.context = context
        projections = plans
        packedWeightBytes = packed
        fp16WeightBytes = fp16Bytes
        hostOperations = try DecoderSimulation.hostOperations(model: model, machine: machine, tokens: tokens, context: context)
    }
}

/// A whole decoder simulated for one decode token (or a prefill of N tokens): each distinct
/// projection of a layer is compiled with seeded random ternary weights of its exact shape
/// and simulated once; every layer has the same shapes and the same program, and a
/// program's cycles do not depend on the weight values (only the add/subtract/skip split of
/// the trit energy does), so a layer's cost times the layer count is the model's.
public struct DecoderSimulation: Sendable {
    public let plan: DecoderPlan
    public let projections: [ProjectionCost]

    public var model: ModelConfig { plan.model }
    public var machine: MachineConfig { plan.machine }
    public var tokens: Int { plan.tokens }
    public var context: Int { plan.context }
    public var hostOperations: [HostOperation] { plan.hostOperations }
    public var packedWeightBytes: Int { plan.packedWeightBytes }
    public var fp16WeightBytes: Int { plan.fp16WeightBytes }

    /// Plans (`DecoderPlan`) and simulates the decoder for `tokens` tokens after `context`.
    public init(model: ModelConfig, machine: MachineConfig, tokens: Int, context: Int, seed: UInt64 = 1,
                maxCycles: Int = Simulator.defaultMaxCycles) throws(CompileError) {
        try self.init(plan: DecoderPlan(model: model, machine: machine, tokens: tokens, context: context), seed: seed, maxCycles: maxCycles)
    }

    /// Simulates a planned decoder: each projection once, on seeded random weights.
    /// - Parameter maxCycles: the cycle budget of each projection's run; a run that reaches
    ///   it is an error.
    public init(plan: DecoderPlan, seed: UInt64 = 1, maxCycles: Int = Simulator.defaultMaxCycles) throws(CompileError) {
        self.plan = plan
        let tokens = plan.tokens
        var random = SplitMix64(seed: seed)
        var projections: [ProjectionCost] = []
        for (shape, projection) in zip(plan.model.linearLayers, plan.projections) {
            let trits = (0..<shape.parameters).map { _ in random.nextTrit() }
            let weights = TernaryWeights(rows: shape.outFeatures, columns: shape.inFeatures, trits: trits, scale: 0.01)
            let input = (0..<tokens * shape.inFeatures).map { _ in Float(Int(random.next() % 2001) - 1000) / 250 }
            let run: BitLinearRun
            do throws(CompileError) {
                run = try BitLinearLayer.run(try BitLinearLayer.compile(weights: weights, input: input, tokens: tokens, config: plan.machine),
                                             maxCycles: maxCycles)
            } catch {
                throw CompileError("\(shape.name) (\(shape.outFeatures) x \(shape.inFeatures)): \(error.message)")
            }
            projections.append(ProjectionCost(shape: shape, tokens: tokens, result: run.result,
                                              packedBytes: projection.blocks * projection.blockBytes))
        }
        self.projections = projections
    }

    // MARK: Totals per token

    public var ternaryCyclesPerToken: Double {
        Double(projections.reduce(0) { $0 + $1.result.counters.cycles }) * Double(model.layers) / Double(tokens)
    }
    public var hostCyclesPerToken: Double { hostOperations.reduce(0) { $0 + $1.cycles } }
    public var cyclesPerToken: Double { ternaryCyclesPerToken + hostCyclesPerToken }
    public var tokensPerSecond: Double { machine.clockGHz * 1e9 / cyclesPerToken }
    public var ternaryPicojoulesPerToken: Double {
        projections.reduce(0) { $0 + $1.result.energy.total } * Double(model.layers) / Double(tokens)
    }
    public var hostPicojoulesPerToken: Double { hostOperations.reduce(0) { $0 + $1.picojoules } }
    public var picojoulesPerToken: Double { ternaryPicojoulesPerToken + hostPicojoulesPerToken }
    public var ternaryDRAMBytesPerToken: Double {
        Double(projections.reduce(0) { $0 + $1.result.events[.dramRead] + $1.result.events[.dramWrite] }) * Double(model.layers) / Double(tokens)
    }
    public var dramBytesPerToken: Double { ternaryDRAMBytesPerToken + hostOperations.reduce(0) { $0 + Double($1.dramBytes) } }
    /// Trit-MACs per cycle over the projections against the peak ROWS x VLEN.
    public var macUtilization: Double {
        let macs = Double(model.ternaryParameters) * Double(tokens)
        return macs / (ternaryCyclesPerToken * Double(tokens) * Double(machine.peakTritMACsPerCycle))
    }
    /// The roofline bound of the projections: trit-MACs per cycle limited by the peak and by
    /// streaming the packed weights at the DRAM bandwidth (each weight byte serves
    /// tritsPerByte x tokens MACs).
    public var rooflineMACsPerCycle: Double {
        min(Double(machine.peakTritMACsPerCycle), Double(machine.dramBytesPerCycle * machine.tritsPerByte * tokens))
    }
    public var rooflineUtilization: Double {
        Double(model.ternaryParameters) / ternaryCyclesPerToken / rooflineMACsPerCycle
    }

    /// The same projections with FP16 weights (2 bytes each) streamed over the same DRAM,
    /// the MACs at FP16 multiply + add on the same ROWS x VLEN lanes, SRAM priced like the
    /// weight SRAM, plus static power; host operations as for the ternary model.
    public var fp16: FP16Baseline {
        let e = machine.energy
        let weightBytes = fp16WeightBytes
        let macs = Double(model.ternaryParameters) * Double(tokens)
        let memoryCycles = Double(weightBytes) / Double(machine.dramBytesPerCycle)
        let computeCycles = macs / Double(machine.peakTritMACsPerCycle)
        let cycles = max(memoryCycles, computeCycles) / Double(tokens) + hostCyclesPerToken
        let sram = e.sramPicojoulesPerByte(size: machine.weightSRAM.size)
        let dynamic = macs * (e.fp16Mul + e.fp16Add) + Double(weightBytes) * (e.dramRead + 2 * sram)
        let staticEnergy = e.staticPowerMW * max(memoryCycles, computeCycles) / machine.clockGHz
        return FP16Baseline(weightBytes: weightBytes, cyclesPerToken: cycles,
                            picojoulesPerToken: (dynamic + staticEnergy) / Double(tokens) + hostPicojoulesPerToken)
    }

    // MARK: Host operations

    static func hostOperations(model m: ModelConfig, machine: MachineConfig, tokens: Int, context: Int) throws(CompileError) -> [HostOperation] {
        let e = machine.energy
        let layers = m.layers
        var failed: String?
        // Counts are products of model sizes: computed checked, so that an absurd config is an
        // error, never an overflow trap.
        func n(_ what: String, _ factors: Int...) -> Int {
            if let value = Checked.product(factors) { return value }
            failed = failed ?? what
            return 0
        }
        func plus(_ what: String, _ terms: Int...) -> Int {
            if let value = Checked.sum(terms) { return value }
            failed = failed ?? what
            return 0
        }
        func op(_ name: String, macs: Int = 0, operations: Int = 0, dramBytes: Int = 0, writes: Bool = false, _ note: String) -> HostOperation {
            let pj = Double(macs) * (e.fp16Mul + e.fp16Add) + Double(operations) * e.fp16Add + Double(dramBytes) * (writes ? e.dramWrite : e.dramRead)
            return HostOperation(name: name, macs: macs, operations: operations, dramBytes: dramBytes, picojoules: pj,
                                 cycles: Double(dramBytes) / Double(machine.dramBytesPerCycle), note: note)
        }
        let q = n("q width", m.attentionHeads, m.headDim), kv = n("kv width", m.keyValueHeads, m.headDim)
        // Average keys attended per token: a decode step sees the whole context; a prefill of
        // N tokens sees context + (N + 1) / 2 on average (causal).
        let keys = context + (tokens + 1) / 2
        let normWidth = plus("norm width", n("norm width", 3, m.hiddenSize), m.intermediateSize)
        var ops = [
            op("embedding lookup", dramBytes: n("embedding row", m.hiddenSize, 2), "one bf16 row of the embedding table"),
            op("RMSNorm / SubLN", operations: plus("norm operations", n("norm operations", layers, 4, normWidth), n("norm operations", 4, m.hiddenSize)),
               "input, post-attention, attention and FFN sub-norms per layer, and the final norm (square, sum, scale, weight)"),
            op("RoPE", operations: n("RoPE operations", layers, 3, plus("RoPE width", q, kv)), "rotate q and k (3 operations per element)"),
            op("attention scores q.k", macs: n("attention MACs", layers, m.attentionHeads, m.headDim, keys),
               dramBytes: n("KV cache bytes", layers, kv, keys, 2), "\(keys) cached key\(keys == 1 ? "" : "s") per head, fp16 KV cache read from DRAM"),
            op("softmax", operations: n("softmax operations", layers, m.attentionHeads, keys, 5), "max, subtract, exp, sum, divide per score"),
            op("attention values", macs: n("attention MACs", layers, m.attentionHeads, m.headDim, keys),
               dramBytes: n("KV cache bytes", layers, kv, keys, 2), "fp16 values read from DRAM"),
            op("KV cache write", dramBytes: n("KV cache bytes", layers, 2, kv, 2), writes: true, "this token's key and value, fp16"),
            op(m.activation == .relu2 ? "squared ReLU x up" : "SiLU x up", operations: n("FFN operations", layers, 3, m.intermediateSize),
               "the gated FFN's element-wise part"),
            op("residual adds", operations: n("residual operations", layers, 2, m.hiddenSize), "two per layer"),
        ]
        ops.append(op("lm_head", macs: n("lm_head MACs", m.vocabSize, m.hiddenSize), dramBytes: n("lm_head bytes", m.vocabSize, m.hiddenSize, 2),
                      m.tiedEmbeddings ? "tied to the embedding; bf16, not ternary" : "bf16, not ternary"))
        if let failed { throw CompileError("the model's \(failed) per token overflow a 64-bit count") }
        return ops
    }
}
