/// The operations of a decoder token, in execution order: the one table reports, regions
/// and the per-operation JSON are built from (ISA.md chapter 11).
public enum DecoderOperation: String, CaseIterable, Sendable {
    case embedding
    case inputNorm = "input_norm"
    case qProj = "q_proj", kProj = "k_proj", vProj = "v_proj"
    case rope
    case kvCacheWrite = "kv_cache_write"
    case attentionScores = "attention_scores"
    case softmax
    case attentionValues = "attention_values"
    case attentionSubNorm = "attn_sub_norm"
    case oProj = "o_proj"
    case postAttentionNorm = "post_attention_norm"
    case gateProj = "gate_proj", upProj = "up_proj"
    case activation
    case ffnSubNorm = "ffn_sub_norm"
    case downProj = "down_proj"
    case residual
    case finalNorm = "final_norm"
    case lmHead = "lm_head"

    /// The unit that does the operation's arithmetic (for utilization).
    public enum Unit: String, Sendable { case ternary = "ternary array", float = "float unit", dma = "DMA" }

    public var unit: Unit {
        switch self {
        case .qProj, .kProj, .vProj, .oProj, .gateProj, .upProj, .downProj: .ternary
        case .embedding, .kvCacheWrite: .dma
        default: .float
        }
    }

    /// Whether every decoder layer runs it (the others run once per pass).
    public var perLayer: Bool { ![.embedding, .finalNorm, .lmHead].contains(self) }

    /// What it is, for the report.
    public var summary: String {
        switch self {
        case .embedding: "bf16 embedding rows fetched by DMA"
        case .inputNorm: "RMSNorm before attention"
        case .qProj, .kProj, .vProj, .oProj, .gateProj, .upProj, .downProj: "BitLinear on the ternary array"
        case .rope: "rotary position embedding of q and k"
        case .kvCacheWrite: "this token's k and v into the DRAM KV cache"
        case .attentionScores: "q . k over the cached keys (key reads included)"
        case .softmax: "causal softmax over the scores"
        case .attentionValues: "probabilities times cached values (value reads included)"
        case .attentionSubNorm: "RMSNorm of the attention output"
        case .postAttentionNorm: "RMSNorm before the FFN"
        case .activation: "act(gate) * up"
        case .ffnSubNorm: "RMSNorm of the FFN's inner activations"
        case .residual: "the two residual adds"
        case .finalNorm: "RMSNorm after the last layer"
        case .lmHead: "bf16 LM head on the float unit (logits of the last token)"
        }
    }

    /// The region name of this operation in `layer` (nil: not a per-layer operation).
    func region(layer: Int?) -> String {
        layer.map { "\(rawValue)@\($0)" } ?? rawValue
    }

    /// The operation and layer a region name stands for.
    public static func parse(region: String) -> (DecoderOperation, Int?)? {
        let parts = region.split(separator: "@")
        guard let op = DecoderOperation(rawValue: String(parts[0])) else { return nil }
        return (op, parts.count > 1 ? Int(parts[1]) : nil)
    }
}
