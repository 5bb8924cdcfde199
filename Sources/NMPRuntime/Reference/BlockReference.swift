import Foundation

/// The float parts of a BitNet decoder block around its BitLinears, in plain Swift, as
/// Hugging Face transformers computes them (float32):
/// - `BitNetRMSNorm.forward` / `LlamaRMSNorm.forward` (models/bitnet/modeling_bitnet.py,
///   models/llama/modeling_llama.py): variance = mean(x^2) over the features,
///   x * rsqrt(variance + eps), times the weight;
/// - `ACT2FN["relu2"]` = `ReLUSquaredActivation` (activations.py): square(relu(x));
///   `ACT2FN["silu"]`: x * sigmoid(x), which torch computes as x / (1 + exp(-x));
/// - `BitNetMLP.forward`: down_proj(ffn_sub_norm(act(gate_proj(x)) * up_proj(x)));
///   LLaMA-style b1.58 models (1bitLLM) likewise apply their FFN sub-norm before down_proj.
///
/// nmp runs the BitLinears on the machine and these element-wise parts on the host; the
/// sums and reductions here are in index order in float32 (torch's reduction order can
/// differ in the last place).
public enum BlockReference {
    /// RMSNorm over each token's `features` values.
    public static func rmsNorm(_ x: [Float], tokens: Int, features: Int, weight: [Float], epsilon: Float) -> [Float] {
        precondition(x.count == tokens * features && weight.count == features, "BlockReference.rmsNorm: shape mismatch")
        var out = x
        for t in 0..<tokens {
            let row = t * features
            var sum: Float = 0
            for i in 0..<features { sum += x[row + i] * x[row + i] }
            let scale = 1 / (sum / Float(features) + epsilon).squareRoot()
            for i in 0..<features { out[row + i] = weight[i] * (x[row + i] * scale) }
        }
        return out
    }

    /// square(relu(x)).
    public static func relu2(_ x: Float) -> Float {
        let r = max(x, 0)
        return r * r
    }

    /// x * sigmoid(x), computed as torch's `silu` kernel computes it: `x / (1 + exp(-x))`,
    /// one float32 division (aten/src/ATen/native/cpu/Activation.cpp `silu_kernel`, and the
    /// CUDA kernel alike; HF's `SiLUActivation` calls `F.silu`). Multiplying x by a rounded
    /// sigmoid instead differs in the last place for several percent of inputs. exp(-x) is
    /// the float32 nearest the Double exp; torch's expf is within an ulp of it.
    public static func silu(_ x: Float) -> Float {
        x / (1 + Float(exp(Double(-x))))
    }

    /// The gated FFN's element-wise part: act(gate) * up.
    public static func gate(_ gate: [Float], _ up: [Float], activation: ModelConfig.Activation) -> [Float] {
        precondition(gate.count == up.count, "BlockReference.gate: shape mismatch")
        return zip(gate, up).map { g, u in (activation == .relu2 ? relu2(g) : silu(g)) * u }
    }

    /// The whole FFN block on the reference: down(subNorm(act(gate(x)) * up(x))).
    public static func ffn(_ x: [Float], tokens: Int, gate gateWeights: TernaryWeights, up upWeights: TernaryWeights,
                           down downWeights: TernaryWeights, activation: ModelConfig.Activation,
                           subNormWeight: [Float], epsilon: Float) -> [Float] {
        let g = BitNetReference.bitLinear(x, tokens: tokens, weights: gateWeights)
        let u = BitNetReference.bitLinear(x, tokens: tokens, weights: upWeights)
        let h = rmsNorm(gate(g, u, activation: activation), tokens: tokens, features: gateWeights.rows,
                        weight: subNormWeight, epsilon: epsilon)
        return BitNetReference.bitLinear(h, tokens: tokens, weights: downWeights)
    }
}
