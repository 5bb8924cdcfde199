import NMPSupport

/// How the KV cache stores keys and values in DRAM (ISA.md 11.2): bf16 as the checkpoints
/// store their tensors (half the bytes), fp16 as llama.cpp's cache does by default, or
/// float32 (exact: what a float32 reference does).
public enum KVCacheFormat: String, Sendable, CaseIterable {
    case bf16, fp16, fp32

    /// Bytes per cached element.
    public var bytes: Int { self == .fp32 ? 4 : 2 }
}

/// How a decoder pass computes its seven projections per layer: the ternary array on packed
/// trits (the machine nmp models), or, for the FP16 baseline the BitNet b1.58 paper compares
/// against, fp16 weights `[out][in]` streamed from DRAM through the float unit (the LM head's
/// kernel, `fwmachf`, one vector at a time).
public enum ProjectionFormat: String, Sendable, CaseIterable {
    case ternary, fp16
}

/// How the token embedding and the LM head are stored in DRAM (ISA.md 11.3): bf16 as
/// Hugging Face checkpoints store them, or fp16 as bitnet.cpp's GGUF converter writes them
/// (`token_embd.weight` F16). The machine converts either exactly to float32 (`ldbf`,
/// `ldhf`, same timing), so a checkpoint's table is used without rounding.
public enum TableFormat: String, Sendable, CaseIterable {
    case bf16, fp16

    /// The float32 an element's bits stand for (exact; what the machine's load produces
    /// for a finite value).
    public func float(_ bits: UInt16) -> Float {
        switch self {
        case .bf16: BFloat16.float(bits)
        case .fp16: Float(Float16(bitPattern: bits))
        }
    }
}

/// The weights of one decoder layer: seven ternary projections with their scales and four
/// RMSNorm weight vectors stored as bfloat16 bit patterns (the checkpoints' dtype).
public struct DecoderLayerWeights: Sendable, Equatable {
    public var inputNorm: [UInt16]
    public var q: TernaryWeights, k: TernaryWeights, v: TernaryWeights, o: TernaryWeights
    public var attentionSubNorm: [UInt16]
    public var postAttentionNorm: [UInt16]
    public var gate: TernaryWeights, up: TernaryWeights, down: TernaryWeights
    public var ffnSubNorm: [UInt16]

    public init(inputNorm: [UInt16], q: TernaryWeights, k: TernaryWeights, v: TernaryWeights, o: TernaryWeights,
                attentionSubNorm: [UInt16], postAttentionNorm: [UInt16],
                gate: TernaryWeights, up: TernaryWeights, down: TernaryWeights, ffnSubNorm: [UInt16]) {
        self.inputNorm = inputNorm
        self.q = q; self.k = k; self.v = v; self.o = o
        self.attentionSubNorm = attentionSubNorm
        self.postAttentionNorm = postAttentionNorm
        self.gate = gate; self.up = up; self.down = down
        self.ffnSubNorm = ffnSubNorm
    }

    /// A layer without weights (what a loader leaves once the weights are in DRAM).
    public static let empty: DecoderLayerWeights = {
        let none = TernaryWeights(rows: 0, columns: 0, trits: [], scale: 0)
        return DecoderLayerWeights(inputNorm: [], q: none, k: none, v: none, o: none, attentionSubNorm: [], postAttentionNorm: [],
                                   gate: none, up: none, down: none, ffnSubNorm: [])
    }()

    /// The projections in execution order with their checkpoint names.
    public var projections: [(name: String, weights: TernaryWeights)] {
        [("q_proj", q), ("k_proj", k), ("v_proj", v), ("o_proj", o), ("gate_proj", gate), ("up_proj", up), ("down_proj", down)]
    }
}

/// A whole BitNet b1.58 decoder's weights: the token embedding `[vocab, hidden]`, the
/// layers, the final RMSNorm and the LM head `[vocab, hidden]` (nil when tied to the
/// embedding), the two tables as 16-bit patterns of `tableFormat`.
public struct DecoderWeights: Sendable, Equatable {
    public var config: ModelConfig
    public var embedding: [UInt16]
    public var layers: [DecoderLayerWeights]
    public var finalNorm: [UInt16]
    public var lmHead: [UInt16]?
    /// The element format of `embedding` and `lmHead`.
    public var tableFormat: TableFormat

    public init(config: ModelConfig, embedding: [UInt16], layers: [DecoderLayerWeights], finalNorm: [UInt16], lmHead: [UInt16]?,
                tableFormat: TableFormat = .bf16) {
        self.config = config
        self.embedding = embedding
        self.layers = layers
        self.finalNorm = finalNorm
        self.lmHead = lmHead
        self.tableFormat = tableFormat
    }

    /// The LM head's rows: its own or the embedding's.
    public var head: [UInt16] { lmHead ?? embedding }

    /// Each layer's seven weight scales, in `DecoderLayerWeights.projections` order.
    public var scales: [[Float]] { layers.map { $0.projections.map(\.weights.scale) } }

    /// Seeded random weights of `config`'s shapes (`layers` of them, default all): trits
    /// uniform in {-1, 0, +1}, weight scales in 0.02 ... 0.1, norm weights in 0.5 ... 1.5 and
    /// embedding / head entries about N(0, 0.5), all as bf16. Without `tables` the embedding
    /// and head are empty (a cost run leaves them as zeros in DRAM).
    public static func random(_ config: ModelConfig, layers: Int? = nil, seed: UInt64, tables: Bool = true,
                              tableFormat: TableFormat = .bf16) -> DecoderWeights {
        var random = SplitMix64(seed: seed)
        func uniform() -> Float { Float(random.next() >> 40) / Float(1 << 24) }
        func bf16(_ value: Float) -> UInt16 { BFloat16.bits(value) }
        func vector(_ n: Int, _ low: Float, _ high: Float) -> [UInt16] { (0..<n).map { _ in bf16(low + (high - low) * uniform()) } }
        func table(_ n: Int) -> [UInt16] {
            (0..<n).map { _ in
                let value = (uniform() + uniform() + uniform() - 1.5) * 0.7
                return tableFormat == .bf16 ? bf16(value) : Float16(value).bitPattern
            }
        }
        func ternary(_ shape: LinearShape) -> TernaryWeights {
            TernaryWeights(rows: shape.outFeatures, columns: shape.inFeatures,
                           trits: (0..<shape.parameters).map { _ in random.nextTrit() }, scale: 0.02 + 0.08 * uniform())
        }
        let c = config
        let shapes = c.linearLayers
        let count = layers ?? c.layers
        let layerWeights = (0..<count).map { _ in
            DecoderLayerWeights(inputNorm: vector(c.hiddenSize, 0.5, 1.5), q: ternary(shapes[0]), k: ternary(shapes[1]), v: ternary(shapes[2]),
                                o: ternary(shapes[3]), attentionSubNorm: vector(c.attentionHeads * c.headDim, 0.5, 1.5),
                                postAttentionNorm: vector(c.hiddenSize, 0.5, 1.5), gate: ternary(shapes[4]), up: ternary(shapes[5]),
                                down: ternary(shapes[6]), ffnSubNorm: vector(c.intermediateSize, 0.5, 1.5))
        }
        let embedding = tables ? table(c.vocabSize * c.hiddenSize) : []
        let finalNorm = vector(c.hiddenSize, 0.5, 1.5)
        return DecoderWeights(config: c, embedding: embedding, layers: layerWeights, finalNorm: finalNorm,
                              lmHead: c.tiedEmbeddings || !tables ? nil : table(c.vocabSize * c.hiddenSize), tableFormat: tableFormat)
    }
}

/// bfloat16 <-> float32 (the upper 16 bits of a float32; rounding to nearest even).
public enum BFloat16 {
    /// The float32 a bf16 pattern stands for (exact).
    public static func float(_ bits: UInt16) -> Float { Float(bitPattern: UInt32(bits) << 16) }

    /// The bf16 nearest `value` (ties to even); NaN gives the canonical 0x7FC0.
    public static func bits(_ value: Float) -> UInt16 {
        if value.isNaN { return 0x7FC0 }
        let b = value.bitPattern
        let rounded = b &+ 0x7FFF &+ ((b >> 16) & 1)
        return UInt16(truncatingIfNeeded: rounded >> 16)
    }
}
