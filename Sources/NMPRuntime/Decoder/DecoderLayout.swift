import NMPSimulator

/// Where every tensor of a decoder pass lives in DRAM (ISA.md chapter 11): the inputs and
/// constant tables, each layer's norm weights (bf16), packed ternary weights and KV cache,
/// the float32 activations between operations, the logits, and last the bf16 embedding and
/// LM head (so that a run whose head values do not matter can leave them out of the image:
/// DRAM beyond the image's data reads as zeros).
public struct DecoderLayout: Sendable {
    public struct Layer: Sendable {
        public var inputNorm = 0, attentionSubNorm = 0, postAttentionNorm = 0, ffnSubNorm = 0
        /// Packed tiles of q, k, v, o, gate, up, down (`DecoderLayerWeights.projections` order).
        public var projections: [Int] = []
        /// KV cache: `[kvHeads][capacity][headDim]` elements of the cache format.
        public var keys = 0, values = 0
    }

    public let tokens: Int
    public let context: Int
    /// Positions the KV cache holds per head (at least context + tokens).
    public let capacity: Int
    public let kvFormat: KVCacheFormat
    /// Packed trits (the ternary machine) or binary16 tiles (the FP16 baseline).
    public let projectionFormat: ProjectionFormat

    /// Tokens the id and activation buffers hold (at least `tokens`): a generation lays out
    /// every pass for its longest one, so that all passes share one DRAM (`DecoderSession`).
    public let bufferTokens: Int
    /// int32 token ids `[bufferTokens]`.
    public var ids = 0
    /// RoPE cos and sin tables, `[capacity][headDim / 2]` float32: the angles of every
    /// position the cache holds (constant data, written once).
    public var cosTable = 0, sinTable = 0
    /// The rows of `cosTable` and `sinTable` for this pass's positions context ..< context + tokens.
    public var cos: Int { cosTable + ropeRowBytes * context }
    public var sin: Int { sinTable + ropeRowBytes * context }
    /// Bytes of one position's row of a RoPE table.
    public let ropeRowBytes: Int
    public var layers: [Layer] = []
    public var finalNorm = 0
    /// ROWS rows of a 16-bit KV cache's head_dim elements of zeros, never written: the
    /// attention kernel fills a block of values to a multiple of ROWS rows from it.
    public var zeros = 0
    /// End of the weights and tables (the part of the image that must be written).
    public var weightsEnd = 0
    /// float32 activations `[bufferTokens, width]`.
    public var x = 0, h = 0, q = 0, k = 0, v = 0, attention = 0, projected = 0, gate = 0, up = 0
    /// The final norm's output for the last token `[hidden]` and the logits `[vocab]`.
    public var finalHidden = 0, logits = 0
    /// bf16 `[vocab, hidden]`; `head` equals `embedding` when tied.
    public var embedding = 0, head = 0
    public var totalBytes = 0
    /// Bytes of one layer's packed projections (each `blocks * blockBytes`).
    public var packedBytesPerLayer = 0

    /// Lays out `layers` layers of `model` on `machine`.
    /// - Parameter bufferTokens: tokens the id and activation buffers hold (default `tokens`).
    /// - Throws: `CompileError` when the sizes overflow or exceed the machine's DRAM.
    public init(model m: ModelConfig, machine: MachineConfig, layers layerCount: Int, tokens: Int, context: Int,
                capacity: Int? = nil, bufferTokens: Int? = nil, kvFormat: KVCacheFormat,
                projectionFormat: ProjectionFormat = .ternary) throws(CompileError) {
        guard tokens >= 1, context >= 0, capacity ?? Int.max >= context + tokens else {
            throw CompileError("a KV cache of \(capacity ?? 0) positions cannot hold context \(context) + \(tokens) token(s)")
        }
        guard bufferTokens ?? tokens >= tokens else {
            throw CompileError("buffers for \(bufferTokens ?? 0) token(s) cannot hold a pass of \(tokens)")
        }
        self.tokens = tokens
        self.context = context
        self.capacity = capacity ?? context + tokens
        self.bufferTokens = bufferTokens ?? tokens
        self.kvFormat = kvFormat
        self.projectionFormat = projectionFormat
        ropeRowBytes = 4 * (m.headDim / 2)
        var cursor = 0
        var overflow = false
        func take(_ factors: Int...) -> Int {
            let bytes = Checked.product(factors) ?? { overflow = true; return 0 }()
            let start = cursor
            let (end, o) = (start + 64).addingReportingOverflow(bytes)
            if o { overflow = true; return start }
            cursor = end / 64 * 64
            return start
        }
        let hidden = m.hiddenSize, qWidth = m.attentionHeads * m.headDim, kvWidth = m.keyValueHeads * m.headDim
        let buffered = self.bufferTokens
        ids = take(4, buffered)
        cosTable = take(4, self.capacity, m.headDim / 2)
        sinTable = take(4, self.capacity, m.headDim / 2)
        /// Bytes of one projection's weights in DRAM.
        func projectionBytes(_ shape: LinearShape) -> [Int] {
            // The FP16 baseline's array reads binary16 tiles (`HalfTilePacker`).
            let blocks = (shape.outFeatures + machine.rows - 1) / machine.rows
            let chunks = (shape.inFeatures + machine.vlen - 1) / machine.vlen
            return [blocks, chunks, projectionFormat == .fp16 ? 2 * machine.rows * machine.vlen : machine.tileBytes]
        }
        var packed = 0
        for shape in m.linearLayers {
            packed += Checked.product(projectionBytes(shape)) ?? { overflow = true; return 0 }()
        }
        packedBytesPerLayer = packed
        for _ in 0..<layerCount {
            var layer = Layer()
            layer.inputNorm = take(2, hidden)
            layer.attentionSubNorm = take(2, qWidth)
            layer.postAttentionNorm = take(2, hidden)
            layer.ffnSubNorm = take(2, m.intermediateSize)
            for shape in m.linearLayers {
                let bytes = projectionBytes(shape)
                layer.projections.append(take(bytes[0], bytes[1], bytes[2]))
            }
            layers.append(layer)
        }
        finalNorm = take(2, hidden)
        zeros = take(2, machine.rows, m.headDim)
        weightsEnd = cursor
        for i in 0..<layerCount {
            layers[i].keys = take(kvFormat.bytes, m.keyValueHeads, self.capacity, m.headDim)
            layers[i].values = take(kvFormat.bytes, m.keyValueHeads, self.capacity, m.headDim)
        }
        x = take(4, buffered, hidden)
        h = take(4, buffered, max(hidden, qWidth, m.intermediateSize))
        q = take(4, buffered, qWidth)
        k = take(4, buffered, kvWidth)
        v = take(4, buffered, kvWidth)
        attention = take(4, buffered, qWidth)
        projected = take(4, buffered, hidden)
        gate = take(4, buffered, m.intermediateSize)
        up = take(4, buffered, m.intermediateSize)
        finalHidden = take(4, hidden)
        logits = take(4, m.vocabSize)
        embedding = take(2, m.vocabSize, hidden)
        head = m.tiedEmbeddings ? embedding : take(2, m.vocabSize, hidden)
        totalBytes = cursor
        guard !overflow else { throw CompileError("the decoder's DRAM layout overflows a 64-bit size") }
        guard totalBytes <= machine.dramSize, totalBytes <= Int(UInt32.max) else {
            throw CompileError("the decoder pass needs \(totalBytes) bytes of DRAM (\(layerCount) layer(s) of weights and KV cache for \(self.capacity) positions, activations for \(self.bufferTokens) token(s), the bf16 embedding and head) but the machine has \(machine.dramSize) (field dramSize)")
        }
    }
}
