import NMPSimulator

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

/// A whole decoder simulated for one decode token (or a prefill of N tokens): each distinct
/// projection of a layer is compiled with seeded random ternary weights of its exact shape
/// and simulated once; every layer has the same shapes and the same program, and a
/// program's cycles do not depend on the weight values (only the add/subtract/skip split of
/// the trit energy does), so a layer's cost times the layer count is the model's.
public struct DecoderSimulation: Sendable {
    public let model: ModelConfig
    public let machine: MachineConfig
    public let tokens: Int
    public let context: Int
    public let projections: [ProjectionCost]
    public let hostOperations: [HostOperation]

    public init(model: ModelConfig, machine: MachineConfig, tokens: Int, context: Int, seed: UInt64 = 1) throws(CompileError) {
        guard tokens >= 1 else { throw CompileError("at least one token is needed (got \(tokens))") }
        guard context >= 0 else { throw CompileError("the context length must not be negative (got \(context))") }
        self.model = model
        self.machine = machine
        self.tokens = tokens
        self.context = context
        var state = seed
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        var projections: [ProjectionCost] = []
        for shape in model.linearLayers {
            let trits = (0..<shape.parameters).map { _ in Int8(Int(next() % 3) - 1) }
            let weights = TernaryWeights(rows: shape.outFeatures, columns: shape.inFeatures, trits: trits, scale: 0.01)
            let input = (0..<tokens * shape.inFeatures).map { _ in Float(Int(next() % 2001) - 1000) / 250 }
            let compiled = try BitLinearLayer.compile(weights: weights, input: input, tokens: tokens, config: machine)
            let run = try BitLinearLayer.run(compiled)
            projections.append(ProjectionCost(shape: shape, tokens: tokens, result: run.result,
                                              packedBytes: compiled.plan.blocks * compiled.plan.blockBytes))
        }
        self.projections = projections
        hostOperations = Self.hostOperations(model: model, machine: machine, tokens: tokens, context: context)
    }

    // MARK: Totals per token

    public var ternaryCyclesPerToken: Double {
        Double(projections.reduce(0) { $0 + $1.result.counters.cycles } * model.layers) / Double(tokens)
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
        Double(projections.reduce(0) { $0 + ($1.result.events[.dramRead]) + ($1.result.events[.dramWrite]) } * model.layers) / Double(tokens)
    }
    public var dramBytesPerToken: Double { ternaryDRAMBytesPerToken + Double(hostOperations.reduce(0) { $0 + $1.dramBytes }) }
    public var packedWeightBytes: Int { projections.reduce(0) { $0 + $1.packedBytes } * model.layers }
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
        let weightBytes = model.ternaryParameters * 2
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

    static func hostOperations(model m: ModelConfig, machine: MachineConfig, tokens: Int, context: Int) -> [HostOperation] {
        let e = machine.energy
        let layers = m.layers
        func op(_ name: String, macs: Int = 0, operations: Int = 0, dramBytes: Int = 0, _ note: String) -> HostOperation {
            let pj = Double(macs) * (e.fp16Mul + e.fp16Add) + Double(operations) * e.fp16Add + Double(dramBytes) * e.dramRead
            return HostOperation(name: name, macs: macs, operations: operations, dramBytes: dramBytes, picojoules: pj,
                                 cycles: Double(dramBytes) / Double(machine.dramBytesPerCycle), note: note)
        }
        let q = m.attentionHeads * m.headDim, kv = m.keyValueHeads * m.headDim
        // Average keys attended per token: a decode step sees the whole context; a prefill of
        // N tokens sees context + (N + 1) / 2 on average (causal).
        let keys = context + (tokens + 1) / 2
        var ops = [
            op("embedding lookup", dramBytes: m.hiddenSize * 2, "one bf16 row of the embedding table"),
            op("RMSNorm / SubLN", operations: layers * 4 * (3 * m.hiddenSize + m.intermediateSize) + 4 * m.hiddenSize,
               "input, post-attention, attention and FFN sub-norms per layer, and the final norm (square, sum, scale, weight)"),
            op("RoPE", operations: layers * 3 * (q + kv), "rotate q and k (3 operations per element)"),
            op("attention scores q.k", macs: layers * m.attentionHeads * m.headDim * keys,
               dramBytes: layers * kv * keys * 2, "\(keys) cached key(s) per head, fp16 KV cache read from DRAM"),
            op("softmax", operations: layers * m.attentionHeads * keys * 5, "max, subtract, exp, sum, divide per score"),
            op("attention values", macs: layers * m.attentionHeads * m.headDim * keys,
               dramBytes: layers * kv * keys * 2, "fp16 values read from DRAM"),
            op("KV cache write", dramBytes: layers * 2 * kv * 2, "this token's key and value, fp16"),
            op(m.activation == .relu2 ? "squared ReLU x up" : "SiLU x up", operations: layers * 3 * m.intermediateSize,
               "the gated FFN's element-wise part"),
            op("residual adds", operations: layers * 2 * m.hiddenSize, "two per layer"),
        ]
        ops.append(op("lm_head", macs: m.vocabSize * m.hiddenSize, dramBytes: m.vocabSize * m.hiddenSize * 2,
                      m.tiedEmbeddings ? "tied to the embedding; bf16, not ternary" : "bf16, not ternary"))
        return ops
    }
}
