import NMPSimulator

/// A model resident on one simulated machine for a generation: its weights, tables and KV
/// cache are written into DRAM once, and each pass (the prompt's prefill, then one token
/// at a time) loads its program and token ids onto a reset machine that keeps that DRAM
/// (`Simulator(image:config:regions:continuing:)`), as a host drives a coprocessor whose
/// off-chip memory holds the model.
///
/// Every pass is a complete `DecoderProgram` pass over all layers, laid out with buffers
/// for the longest pass and a KV cache of `capacity` positions, so all passes share one set
/// of addresses. Its costs are the simulated machine's, per pass.
public final class DecoderSession {
    public let model: ModelConfig
    public let machine: MachineConfig
    public let kvFormat: KVCacheFormat
    public let tableFormat: TableFormat
    /// Positions the KV cache holds: prompt and generated tokens together.
    public let capacity: Int
    /// The most tokens one pass takes (the prompt's length).
    public let maxTokens: Int
    /// The position of the next token: tokens run so far.
    public private(set) var position = 0
    /// The DRAM layout every pass shares (for tokens = 1 at position 0).
    public let layout: DecoderLayout

    private let layers: Int
    private let scales: [[Float]]
    /// The machine of the last pass: its DRAM holds the model and the cache.
    private var simulator: Simulator
    /// Set when a pass failed part way: the cache in DRAM is then not to be trusted.
    private var failed = false

    /// Writes `weights` into a machine's DRAM for passes of up to `maxTokens` tokens and
    /// `capacity` positions in all.
    /// - Throws: `CompileError` when the machine cannot hold the model, a cache of
    ///   `capacity` positions or a pass of `maxTokens` tokens, or when `capacity` exceeds the
    ///   model's `max_position_embeddings`.
    public convenience init(weights: DecoderWeights, machine: MachineConfig, capacity: Int, maxTokens: Int,
                            kvFormat: KVCacheFormat = .bf16) throws(CompileError) {
        do {
            try self.init(source: DecoderWeightSource(weights), machine: machine, capacity: capacity, maxTokens: maxTokens, kvFormat: kvFormat)
        } catch let error as CompileError {
            throw error
        } catch {
            throw CompileError("\(error)")   // weights in memory are never read from a file
        }
    }

    /// Writes the weights `source` reads into a machine's DRAM, one piece at a time: each
    /// layer is read, packed into DRAM and dropped before the next is read, so a checkpoint
    /// of gigabytes costs about the machine's DRAM in host memory, not twice that.
    /// - Throws: `CompileError` as `init(weights:...)`; `DecoderLoadError` for a tensor the
    ///   source cannot read (the request is checked against the machine first).
    public init(source: DecoderWeightSource, machine: MachineConfig, capacity: Int, maxTokens: Int,
                kvFormat: KVCacheFormat = .bf16) throws {
        let m = source.config
        guard maxTokens >= 1, capacity >= maxTokens else {
            throw CompileError("a session needs room for a pass of at least one token (capacity \(capacity), longest pass \(maxTokens))")
        }
        guard capacity <= m.maxPositions else {
            throw CompileError("\(capacity) positions go beyond max_position_embeddings \(m.maxPositions)")
        }
        model = m
        self.machine = machine
        self.kvFormat = kvFormat
        self.capacity = capacity
        self.maxTokens = maxTokens
        layers = m.layers
        layout = try DecoderLayout(model: m, machine: machine, layers: layers, tokens: 1, context: 0, capacity: capacity,
                                   bufferTokens: maxTokens, kvFormat: kvFormat)
        // The two extreme passes compile (each kernel checks its buffers against the
        // machine; scales and table format change no size): a request the machine cannot
        // take fails before anything is read.
        let unit = Array(repeating: Array(repeating: Float(1), count: 7), count: m.layers)
        _ = try Self.program(model: m, machine: machine, layers: layers, scales: unit, tableFormat: .bf16,
                             tokenIDs: [0], context: capacity - 1, capacity: capacity, bufferTokens: maxTokens, kvFormat: kvFormat)
        let first = try Self.program(model: m, machine: machine, layers: layers, scales: unit, tableFormat: .bf16,
                                     tokenIDs: Array(repeating: 0, count: maxTokens), context: 0, capacity: capacity,
                                     bufferTokens: maxTokens, kvFormat: kvFormat)
        simulator = try DecoderRun.load(first)
        var dram = SimulatorDRAM(simulator: simulator)
        DecoderProgram.writeRope(model: m, layout: layout, into: &dram)
        do {
            // In a scope of its own: the table (hundreds of megabytes) is dropped once written.
            let embedding = try source.embedding()
            tableFormat = embedding.format
            DecoderProgram.writeTables(embedding: embedding.bits, head: nil, layout: layout, into: &dram)
        }
        var scales: [[Float]] = []
        for (index, address) in layout.layers.enumerated() {
            let weights = try source.layer(index)
            scales.append(weights.projections.map(\.weights.scale))
            DecoderProgram.writeLayer(weights, at: address, machine: machine, into: &dram)
            HostMemory.returnFreedMemory()
        }
        dram.write(halves: try source.finalNorm(), at: layout.finalNorm)
        DecoderProgram.writeTables(embedding: [], head: try source.lmHead(format: tableFormat), layout: layout, into: &dram)
        self.scales = scales
        HostMemory.returnFreedMemory()
    }

    /// Runs `tokenIDs` at the next positions through the model: the KV cache grows by them,
    /// and the run's logits are the last token's.
    /// - Throws: `CompileError` for an id outside the vocabulary, more tokens than a pass or
    ///   the cache takes, or a failed run (then the session takes no more passes).
    public func step(_ tokenIDs: [Int], maxCycles: Int = Simulator.defaultMaxCycles,
                     progress: ((Int, Int) -> Void)? = nil, trace: ((TraceRecord) -> Void)? = nil) throws(CompileError) -> DecoderRun {
        guard !failed else { throw CompileError("an earlier pass of this session failed; its KV cache is incomplete") }
        guard (1...maxTokens).contains(tokenIDs.count) else {
            throw CompileError("a pass of \(tokenIDs.count) token(s); this session takes 1 to \(maxTokens)")
        }
        guard tokenIDs.count <= capacity - position else {
            throw CompileError("positions \(position) ..< \(position + tokenIDs.count) go beyond the session's KV cache of \(capacity)")
        }
        try DecoderProgram.checkIDs(tokenIDs, vocabulary: model.vocabSize)
        let program = try Self.program(model: model, machine: machine, layers: layers, scales: scales, tableFormat: tableFormat,
                                       tokenIDs: tokenIDs, context: position, capacity: capacity, bufferTokens: maxTokens,
                                       kvFormat: kvFormat)
        failed = true
        let next = try DecoderRun.load(program, continuing: simulator)
        simulator = next
        var dram = SimulatorDRAM(simulator: next)
        DecoderProgram.writeIDs(tokenIDs, layout: program.layout, into: &dram)
        let run = try DecoderRun(program, on: next, maxCycles: maxCycles, progress: progress, trace: trace, readsCache: false)
        failed = false
        position += tokenIDs.count
        return run
    }

    private static func program(model: ModelConfig, machine: MachineConfig, layers: Int, scales: [[Float]], tableFormat: TableFormat,
                                tokenIDs: [Int], context: Int, capacity: Int, bufferTokens: Int,
                                kvFormat: KVCacheFormat) throws(CompileError) -> DecoderProgram {
        let layout = try DecoderLayout(model: model, machine: machine, layers: layers, tokens: tokenIDs.count, context: context,
                                       capacity: capacity, bufferTokens: bufferTokens, kvFormat: kvFormat)
        let builder = try DecoderProgram.build(model: model, machine: machine, layout: layout, weightScales: scales, tableFormat: tableFormat)
        return DecoderProgram(model: model, machine: machine, layout: layout, tokenIDs: tokenIDs, builder: builder)
    }
}
