import NMPSimulator

/// A block of a BitNet decoder with its BitLinears on the machine and its element-wise
/// float parts on the host (`BlockReference`), and what the machine runs cost.
public struct BlockRun {
    /// The block's output, row-major `[tokens, features]`.
    public let output: [Float]
    /// One simulated run per BitLinear, in execution order, with its name.
    public let runs: [(name: String, result: RunResult)]
}

public enum Blocks {
    /// The gated FFN of BitNet b1.58 2B-4T (`relu2`) or of the LLaMA-style b1.58 models
    /// (`silu`, SwiGLU): gate and up BitLinears on the machine, act(gate) * up and the FFN
    /// sub-norm on the host, the down BitLinear on the machine.
    public static func ffn(_ x: [Float], tokens: Int, gate: TernaryWeights, up: TernaryWeights, down: TernaryWeights,
                           activation: ModelConfig.Activation, subNormWeight: [Float], epsilon: Float,
                           config: MachineConfig) throws(CompileError) -> BlockRun {
        guard gate.rows == up.rows, gate.columns == up.columns, down.columns == gate.rows, subNormWeight.count == gate.rows else {
            throw CompileError("FFN shapes do not chain: gate \(gate.rows) x \(gate.columns), up \(up.rows) x \(up.columns), down \(down.rows) x \(down.columns), sub-norm \(subNormWeight.count)")
        }
        let g = try BitLinearLayer.run(try BitLinearLayer.compile(weights: gate, input: x, tokens: tokens, config: config))
        let u = try BitLinearLayer.run(try BitLinearLayer.compile(weights: up, input: x, tokens: tokens, config: config))
        let h = BlockReference.rmsNorm(BlockReference.gate(g.outputs, u.outputs, activation: activation),
                                       tokens: tokens, features: gate.rows, weight: subNormWeight, epsilon: epsilon)
        let d = try BitLinearLayer.run(try BitLinearLayer.compile(weights: down, input: h, tokens: tokens, config: config))
        return BlockRun(output: d.outputs, runs: [("gate_proj", g.result), ("up_proj", u.result), ("down_proj", d.result)])
    }

    /// The attention projections of one layer with grouped-query shapes: q, k and v of the
    /// same (normed) input on the machine. Returns q, k, v concatenated per token
    /// (`[tokens, q + 2 kv]`); the scores, softmax and value mix are host operations, and o
    /// is an ordinary BitLinear of the attention output (`BitLinearLayer`).
    public static func qkv(_ x: [Float], tokens: Int, q: TernaryWeights, k: TernaryWeights, v: TernaryWeights,
                           config: MachineConfig) throws(CompileError) -> BlockRun {
        guard q.columns == k.columns, k.columns == v.columns, k.rows == v.rows, q.rows % k.rows == 0 else {
            throw CompileError("attention shapes are not grouped-query: q \(q.rows) x \(q.columns), k \(k.rows) x \(k.columns), v \(v.rows) x \(v.columns)")
        }
        var runs: [(name: String, result: RunResult)] = []
        var outputs: [[Float]] = []
        for (name, weights) in [("q_proj", q), ("k_proj", k), ("v_proj", v)] {
            let run = try BitLinearLayer.run(try BitLinearLayer.compile(weights: weights, input: x, tokens: tokens, config: config))
            runs.append((name, run.result))
            outputs.append(run.outputs)
        }
        var output: [Float] = []
        for t in 0..<tokens {
            output += outputs[0][(t * q.rows)..<((t + 1) * q.rows)]
            output += outputs[1][(t * k.rows)..<((t + 1) * k.rows)]
            output += outputs[2][(t * v.rows)..<((t + 1) * v.rows)]
        }
        return BlockRun(output: output, runs: runs)
    }
}
