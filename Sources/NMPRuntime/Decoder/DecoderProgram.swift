import Foundation
import NMPISA
import NMPSimulator

/// A whole decoder pass compiled for a machine: `tokens` token ids at positions
/// context ..< context + tokens through every layer of `weights`, then the final norm and
/// the LM head for the last token (ISA.md chapter 11). Nothing runs on the host.
///
/// The program is built in memory (`ProgramBuilder`): one copy of each layer's code (the
/// layers differ only in their DRAM addresses), loops over tokens, token groups, row and key
/// blocks, so its size does not grow with the prompt. Its regions name every operation per
/// layer (`DecoderOperation`), so a run reports cycles, stalls, traffic and energy per
/// operation.
public struct DecoderProgram {
    public let model: ModelConfig
    public let machine: MachineConfig
    public let layout: DecoderLayout
    public let tokenIDs: [Int]
    public let builder: ProgramBuilder
    /// The code and, unless the pass runs on a DRAM that already holds the model
    /// (`DecoderSession`), the DRAM data.
    public let image: MicrocodeImage

    public var tokens: Int { layout.tokens }
    public var context: Int { layout.context }

    /// Compiles a pass.
    /// - Parameters:
    ///   - weights: the model's weights; an empty `embedding` (and, untied, an empty
    ///     `lmHead`) leaves those tables out of the image: their DRAM reads as zeros, which
    ///     changes no cycle or energy count (cost runs of large models).
    ///   - cache: per layer, the KV cache's bytes for the first `context` positions,
    ///     `[kvHeads][context][headDim]` elements of `kvFormat` (`DecoderRun.cache`); nil: zeros.
    ///   - capacity: positions the cache holds (default context + tokens).
    ///   - projections: `.fp16` compiles the FP16 baseline (a cost run; its projection
    ///     weights are left as zeros): its projections run on the FP16 array that replaces
    ///     the ternary one (`HalfLinearCodegen`, `hgemm`).
    public init(weights: DecoderWeights, machine: MachineConfig, tokenIDs: [Int], context: Int, capacity: Int? = nil,
                kvFormat: KVCacheFormat = .bf16, cache: [(keys: [UInt8], values: [UInt8])]? = nil,
                projections: ProjectionFormat = .ternary) throws(CompileError) {
        let m = weights.config
        let tokens = tokenIDs.count
        guard tokens >= 1 else { throw CompileError("a decoder pass needs at least one token") }
        guard m.headDim % 2 == 0 else { throw CompileError("head_dim \(m.headDim) is odd: RoPE rotates pairs of features") }
        guard m.keyValueHeads >= 1, m.attentionHeads % m.keyValueHeads == 0 else {
            throw CompileError("num_key_value_heads \(m.keyValueHeads) does not divide num_attention_heads \(m.attentionHeads)")
        }
        guard context >= 0, context <= m.maxPositions - tokens else {
            throw CompileError("positions \(context) ..< \(context + tokens) go beyond max_position_embeddings \(m.maxPositions)")
        }
        try Self.checkIDs(tokenIDs, vocabulary: m.vocabSize)
        let layout = try DecoderLayout(model: m, machine: machine, layers: weights.layers.count, tokens: tokens,
                                       context: context, capacity: capacity, kvFormat: kvFormat, projectionFormat: projections)
        self.model = m
        self.machine = machine
        self.layout = layout
        self.tokenIDs = tokenIDs

        builder = try Self.build(model: m, machine: machine, layout: layout, weightScales: weights.scales, tableFormat: weights.tableFormat)
        var image = DRAMArray()
        try Self.writeDRAM(weights: weights, layout: layout, machine: machine, cache: cache, into: &image)
        Self.writeIDs(tokenIDs, layout: layout, into: &image)
        self.image = builder.image(dram: image.bytes)
    }

    /// A pass whose image carries code only (its DRAM is already written).
    init(model: ModelConfig, machine: MachineConfig, layout: DecoderLayout, tokenIDs: [Int], builder: ProgramBuilder) {
        self.model = model
        self.machine = machine
        self.layout = layout
        self.tokenIDs = tokenIDs
        self.builder = builder
        image = builder.image(dram: [])
    }

    /// The ROWS of the float matrix products when a pass of `tokens` at `context` runs its
    /// attention with them (a 16-bit cache on a machine whose SRAMs hold the matrix
    /// kernel's buffers), else nil (the lane-wise kernel): the order of attention's sums,
    /// for `DecoderReference(attentionRows:)`.
    public static func attentionRows(model m: ModelConfig, machine: MachineConfig, tokens: Int, context: Int,
                                     capacity: Int? = nil, kvFormat: KVCacheFormat) -> Int? {
        let plan = AttentionMatrixPlan.make(tokens: tokens, context: context, capacity: capacity ?? context + tokens,
                                            heads: m.attentionHeads, kvHeads: m.keyValueHeads, headDim: m.headDim,
                                            format: kvFormat, config: machine).plan
        return plan.map { _ in machine.rows }
    }


    /// Every id inside the vocabulary.
    static func checkIDs(_ tokenIDs: [Int], vocabulary: Int) throws(CompileError) {
        if let bad = tokenIDs.firstIndex(where: { $0 < 0 || $0 >= vocabulary }) {
            throw CompileError("token id \(tokenIDs[bad]) (position \(bad)) is outside the vocabulary of \(vocabulary)")
        }
    }

    /// The most instructions a program may have: the assembler's `.text` limit (ISA.md 8.6),
    /// so that `--emit-asm` text always assembles.
    public static let maxInstructions = 1 << 20

    /// The program of a pass over `layout` (its layers, tokens and context), with each
    /// layer's seven weight scales (`weightScales[layer][projection]`). Every kernel checks
    /// that its buffers fit the machine before it emits code, so building is also the
    /// complete check of a request (`DecoderPlan` builds once and drops the code).
    static func build(model m: ModelConfig, machine: MachineConfig, layout: DecoderLayout,
                      weightScales: [[Float]], tableFormat: TableFormat) throws(CompileError) -> ProgramBuilder {
        let tokens = layout.tokens, context = layout.context, kvFormat = layout.kvFormat
        // Plans first: every size check before any code.
        var plans: [BitLinearPlan] = []
        var halfPlans: [HalfLinearPlan] = []
        for shape in m.linearLayers {
            do {
                if layout.projectionFormat == .fp16 {
                    halfPlans.append(try HalfLinearPlan(tokens: tokens, inFeatures: shape.inFeatures, outFeatures: shape.outFeatures, config: machine))
                } else {
                    plans.append(try BitLinearPlan(tokens: tokens, inFeatures: shape.inFeatures, outFeatures: shape.outFeatures,
                                                   config: machine, writesSums: false))
                }
            } catch {
                throw CompileError("\(shape.name) (\(shape.outFeatures) x \(shape.inFeatures)): \(error.message)")
            }
        }
        let (matrixAttention, attentionNote) = AttentionMatrixPlan.make(
            tokens: tokens, context: context, capacity: layout.capacity, heads: m.attentionHeads, kvHeads: m.keyValueHeads,
            headDim: m.headDim, format: kvFormat, config: machine)
        let laneAttention = matrixAttention == nil
            ? try AttentionPlan(tokens: tokens, context: context, capacity: layout.capacity, heads: m.attentionHeads,
                                kvHeads: m.keyValueHeads, headDim: m.headDim, format: kvFormat, config: machine)
            : nil
        let head = try LMHeadPlan(vocab: m.vocabSize, hidden: m.hiddenSize, format: tableFormat, config: machine)

        var b = ProgramBuilder(packing: machine.packing)
        b.requirements = [Requirement(.vlen, Int64(machine.vlen)), Requirement(.rows, Int64(machine.rows))]
        if let attentionNote, kvFormat != .fp32 {
            b.scheduleNotes.append("attention: the lane-wise kernel, because \(attentionNote)")
        }
        if let note = head.note { b.scheduleNotes.append(note) }
        for (shape, plan) in zip(m.linearLayers, plans) {
            if let note = plan.note { b.scheduleNotes.append("\(shape.name) (\(shape.outFeatures) x \(shape.inFeatures)): \(note)") }
        }
        let kernels = FloatKernels(config: machine)
        let eps = Float(m.rmsNormEps)
        let hidden = m.hiddenSize, qWidth = m.attentionHeads * m.headDim
        let L = layout

        b.enterRegion(DecoderOperation.embedding.region(layer: nil))
        try kernels.embed(tokens: tokens, ids: L.ids, table: L.embedding, format: tableFormat, hidden: hidden, out: L.x, into: &b)
        for (l, layer) in L.layers.enumerated() {
            func region(_ op: DecoderOperation) { b.enterRegion(op.region(layer: l)) }
            /// Projections of one input (q, k and v; gate and up; o; down): with the ternary
            /// projections, one loop over token groups quantizes each group once for all of
            /// them (`BitLinearCodegen.emitShared`) when their plans allow it.
            func project(_ projections: [(index: Int, op: DecoderOperation, output: Int)], from input: Int) {
                if !halfPlans.isEmpty {
                    for (index, op, output) in projections {
                        region(op)
                        HalfLinearCodegen(plan: halfPlans[index], weights: layer.projections[index], input: input, output: output).emit(into: &b)
                    }
                    return
                }
                let codegens = projections.map { index, _, output in
                    BitLinearCodegen(plan: plans[index], weightScale: weightScales[l][index],
                                     weights: layer.projections[index], input: input, output: output, sums: 0)
                }
                if codegens.count > 1 && codegens.dropFirst().allSatisfy({ $0.plan.sharesQuantization(with: codegens[0].plan) }) {
                    BitLinearCodegen.emitShared(codegens, regions: projections.map { $0.op.region(layer: l) }, into: &b)
                } else {
                    for (codegen, projection) in zip(codegens, projections) {
                        region(projection.op)
                        codegen.emit(into: &b)
                    }
                }
            }
            b.blank()
            b.comment("======== layer \(l)")
            region(.inputNorm)
            // The norms leave their last DMA in flight: the BitLinear (or LM head) after each
            // starts with its input's DMA and waits for it before writing the activation SRAM.
            try kernels.rmsNorm(tokens: tokens, input: L.x, output: L.h, weight: layer.inputNorm, n: hidden, epsilon: eps, drains: false, into: &b)
            project([(0, .qProj, L.q), (1, .kProj, L.k), (2, .vProj, L.v)], from: L.h)
            region(.rope)
            // rope(q), rope(k) and the k half of the cache write leave their last DMA in flight:
            // each next kernel starts with its own DMA in and a dwait 0.
            try kernels.rope(tokens: tokens, buffer: L.q, heads: m.attentionHeads, headDim: m.headDim, cos: L.cos, sin: L.sin,
                             drains: false, into: &b)
            try kernels.rope(tokens: tokens, buffer: L.k, heads: m.keyValueHeads, headDim: m.headDim, cos: L.cos, sin: L.sin,
                             drains: false, into: &b)
            region(.kvCacheWrite)
            try kernels.storeKV(tokens: tokens, source: L.k, cache: layer.keys, kvHeads: m.keyValueHeads, headDim: m.headDim,
                                capacity: L.capacity, context: context, format: kvFormat, drains: false, into: &b)
            try kernels.storeKV(tokens: tokens, source: L.v, cache: layer.values, kvHeads: m.keyValueHeads, headDim: m.headDim,
                                capacity: L.capacity, context: context, format: kvFormat, into: &b)
            let attentionRegions = (DecoderOperation.attentionScores.region(layer: l), DecoderOperation.softmax.region(layer: l),
                                    DecoderOperation.attentionValues.region(layer: l))
            if let matrixAttention {
                AttentionMatrixKernel(plan: matrixAttention).emit(query: L.q, keyCache: layer.keys, valueCache: layer.values,
                                                                  output: L.attention, zeros: L.zeros, regions: attentionRegions, into: &b)
            } else if let laneAttention {
                AttentionKernel(plan: laneAttention).emit(query: L.q, keyCache: layer.keys, valueCache: layer.values, output: L.attention,
                                                          regions: attentionRegions, into: &b)
            }
            region(.attentionSubNorm)
            try kernels.rmsNorm(tokens: tokens, input: L.attention, output: L.h, weight: layer.attentionSubNorm, n: qWidth, epsilon: eps, drains: false, into: &b)
            project([(3, .oProj, L.projected)], from: L.h)
            region(.residual)
            try kernels.elementwise(.add, count: tokens * hidden, a: L.x, b: L.projected, out: L.x, into: &b)
            region(.postAttentionNorm)
            try kernels.rmsNorm(tokens: tokens, input: L.x, output: L.h, weight: layer.postAttentionNorm, n: hidden, epsilon: eps, drains: false, into: &b)
            project([(4, .gateProj, L.gate), (5, .upProj, L.up)], from: L.h)
            region(.activation)
            try kernels.elementwise(m.activation == .relu2 ? .relu2Times : .siluTimes, count: tokens * m.intermediateSize,
                                    a: L.gate, b: L.up, out: L.gate, into: &b)
            region(.ffnSubNorm)
            try kernels.rmsNorm(tokens: tokens, input: L.gate, output: L.h, weight: layer.ffnSubNorm, n: m.intermediateSize, epsilon: eps, drains: false, into: &b)
            project([(6, .downProj, L.projected)], from: L.h)
            region(.residual)
            try kernels.elementwise(.add, count: tokens * hidden, a: L.x, b: L.projected, out: L.x, into: &b)
        }
        b.blank()
        b.enterRegion(DecoderOperation.finalNorm.region(layer: nil))
        try kernels.rmsNorm(tokens: 1, input: L.x + 4 * (tokens - 1) * hidden, output: L.finalHidden, weight: L.finalNorm,
                            n: hidden, epsilon: eps, drains: false, into: &b)
        b.enterRegion(DecoderOperation.lmHead.region(layer: nil))
        LMHeadKernel(plan: head).emit(input: L.finalHidden, head: L.head, logits: L.logits, into: &b)
        b.emit(.halt)
        guard b.count <= Self.maxInstructions else {
            throw CompileError("the decoder program would have \(b.count) instructions, more than the \(Self.maxInstructions) an image holds (its code is one copy per layer: fewer layers per pass help)")
        }
        return b
    }

    /// Writes the model's DRAM contents: the RoPE tables, norm weights, packed projections,
    /// the KV cache's given positions, and the embedding and head tables when they are given.
    /// The token ids are `writeIDs`'.
    static func writeDRAM(weights: DecoderWeights, layout L: DecoderLayout, machine: MachineConfig,
                          cache: [(keys: [UInt8], values: [UInt8])]?, into dram: inout some DRAMWriter) throws(CompileError) {
        writeRope(model: weights.config, layout: L, into: &dram)
        // The FP16 baseline is a cost run: its projections stay zeros (no count depends on them).
        for (layer, w) in zip(L.layers, weights.layers) {
            writeLayer(w, at: layer, machine: machine, projections: L.projectionFormat == .ternary, into: &dram)
        }
        dram.write(halves: weights.finalNorm, at: L.finalNorm)
        if let cache { try writeCache(cache, model: weights.config, layout: L, into: &dram) }
        writeTables(embedding: weights.embedding, head: weights.lmHead, layout: L, into: &dram)
    }

    /// The RoPE tables of every position the cache holds.
    static func writeRope(model m: ModelConfig, layout L: DecoderLayout, into dram: inout some DRAMWriter) {
        let tables = RopeTables(theta: m.ropeTheta, headDim: m.headDim, positions: 0 ..< L.capacity)
        dram.write(floats: tables.cos, at: L.cosTable)
        dram.write(floats: tables.sin, at: L.sinTable)
    }

    /// One layer's norm weights and packed projections.
    static func writeLayer(_ w: DecoderLayerWeights, at layer: DecoderLayout.Layer, machine: MachineConfig, projections: Bool = true,
                           into dram: inout some DRAMWriter) {
        for (address, vector) in [(layer.inputNorm, w.inputNorm), (layer.attentionSubNorm, w.attentionSubNorm),
                                  (layer.postAttentionNorm, w.postAttentionNorm), (layer.ffnSubNorm, w.ffnSubNorm)] {
            dram.write(halves: vector, at: address)
        }
        guard projections else { return }
        for (address, projection) in zip(layer.projections, w.projections) {
            dram.write(WeightPacker.tiles(projection.weights.trits, rows: projection.weights.rows,
                                          columns: projection.weights.columns, config: machine),
                       at: address)
        }
    }

    /// The embedding and (untied) head, when given (empty: left as zeros).
    static func writeTables(embedding: [UInt16], head: [UInt16]?, layout L: DecoderLayout, into dram: inout some DRAMWriter) {
        if !embedding.isEmpty { dram.write(halves: embedding, at: L.embedding) }
        if let head, !head.isEmpty { dram.write(halves: head, at: L.head) }
    }

    /// The KV cache's first `context` positions per layer.
    static func writeCache(_ cache: [(keys: [UInt8], values: [UInt8])], model m: ModelConfig, layout L: DecoderLayout,
                           into dram: inout some DRAMWriter) throws(CompileError) {
        guard cache.count == L.layers.count else { throw CompileError("a KV cache of \(cache.count) layer(s) for a model of \(L.layers.count)") }
        let row = L.kvFormat.bytes * m.headDim, perHead = row * L.context
        for (layer, contents) in zip(L.layers, cache) {
            for (base, data) in [(layer.keys, contents.keys), (layer.values, contents.values)] {
                guard data.count == m.keyValueHeads * perHead else {
                    throw CompileError("a KV cache of \(data.count) bytes per layer; \(L.context) positions need \(m.keyValueHeads * perHead)")
                }
                for h in 0..<m.keyValueHeads {
                    dram.write(Array(data[(h * perHead)..<((h + 1) * perHead)]), at: base + h * L.capacity * row)
                }
            }
        }
    }

    /// Writes the pass's token ids (int32) at `layout.ids`.
    static func writeIDs(_ tokenIDs: [Int], layout: DecoderLayout, into dram: inout some DRAMWriter) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(4 * tokenIDs.count)
        for id in tokenIDs { DRAMImage.appendWord(UInt32(id), to: &bytes) }
        dram.write(bytes, at: layout.ids)
    }
}

/// RoPE angles as HF's default rope computes them in float32 (ISA.md 11.4): constant data
/// the compiler writes into DRAM, `[position][headDim / 2]`.
struct RopeTables {
    var cos: [Float] = []
    var sin: [Float] = []

    init(theta: Double, headDim: Int, positions: Range<Int>) {
        let half = headDim / 2
        let inverse = (0..<half).map { i -> Float in
            let exponent = Float(2 * i) / Float(headDim)
            return 1 / Float(Foundation.pow(theta, Double(exponent)))
        }
        for p in positions {
            for i in 0..<half {
                let angle = Float(p) * inverse[i]
                cos.append(Float(Foundation.cos(Double(angle))))
                sin.append(Float(Foundation.sin(Double(angle))))
            }
        }
    }
}
