// The reference numerics of one BitNet b1.58 linear layer ("BitLinear"), in plain Swift:
// what the coprocessor must reproduce, and what the compiler's tests compare against.
//
// Sources (read at these places; the code follows them operation by operation):
// - Hugging Face transformers, src/transformers/integrations/bitnet.py:
//   `WeightQuant.forward` (per-tensor absmean weights), `ActQuant.forward` (per-token absmax
//   activations), `AutoBitLinear.forward` (online: F.linear of the two dequantized tensors;
//   offline, as microsoft/bitnet-b1.58-2B-4T's config asks: F.linear(ActQuant(x), Wq) times
//   the stored `weight_scale`), `BitLinear.activation_quant` / `BitLinear.forward` /
//   `post_quant_process` (packed checkpoints: divides by `weight_scale * input_scale`).
//   models/bitnet/modeling_bitnet.py: every q/k/v/o/gate/up/down projection is an nn.Linear
//   that the BitNet quantizer replaces by one of the classes above, so each quantizes its own
//   input activations.
// - PyTorch, torch/_tensor.py, `Tensor.__rdiv__` (= `__rtruediv__`): a Python number divided
//   by a tensor is computed as `self.reciprocal() * other`. So `1.0 / t` and `127 / t` in the
//   code above are a reciprocal followed by a multiplication: two float32 roundings, not one
//   division. For activations this matters: fl(fl(1/m) * 127) differs from fl(127/m) for
//   about a quarter of random m, and can move x * s across a rounding boundary (see the tests).
// - microsoft/BitNet, gpu/model.py `BitLinearKernel.quant_input` (same activation quantizer)
//   and gpu/bitnet_kernels/bitnet_kernels.h `ladder_int8xint2_kernel`, whose epilogue is
//   `(float)acc / (float)s * (float)ws`: exact integer accumulation, then divide by the
//   activation scale, then multiply by the weight scale. `dequantize` is that epilogue.
// - Ma et al., "The Era of 1-bit LLMs", arXiv 2402.17764, section 2: absmean weights,
//   W~ = RoundClip(W / (gamma + eps), -1, 1), gamma = mean |W|; absmax 8-bit activations per
//   token. The code above computes W * (1 / max(gamma, eps)) instead; we follow the code
//   (`WeightQuant.forward` above). The two differ for weights within about eps/gamma (relative) of
//   +-gamma/2 or +-3 gamma/2, and W * fl(1/gamma) can differ from W / gamma by one ulp.
//
// Arithmetic: every float operation is one IEEE-754 binary32 operation, correctly rounded,
// in the eager PyTorch order. torch.round rounds half to even; so does
// `Float.rounded(.toNearestOrEven)`. Compiled or GPU kernels (torch.compile, CUDA, bf16
// tensors in the 2B-4T checkpoint) may round differently in the last place; this reference
// is the float32 eager semantics.

/// A ternary weight matrix as BitNet b1.58 stores it for inference: trits and one scale per
/// tensor.
///
/// The output of a layer is `(activations . trits^T) / activationScale * scale`
/// (`BitNetReference.dequantize`).
public struct TernaryWeights: Sendable, Equatable {
    /// Output features (the `out_features` of the nn.Linear).
    public let rows: Int
    /// Input features (`in_features`).
    public let columns: Int
    /// Row-major `rows x columns` (out x in, as torch stores a Linear weight); each -1, 0 or +1.
    public let trits: [Int8]
    /// The weight scale as the reference multiplies by it: the value of a +1 weight after
    /// dequantization. From `BitNetReference.quantizeWeights` it is `1 / sw` with
    /// `sw = 1 / max(gamma, 1e-5)` (HF `WeightQuant.forward` dequantizes `Wq / sw`, and
    /// `1 / sw` is exactly that value for `Wq = 1`); it equals gamma = mean |W| except in the
    /// last place for some gamma. For a checkpoint whose linear layers multiply by a stored
    /// `weight_scale` (HF `AutoBitLinear`, offline mode), it is that stored value; a
    /// checkpoint read by HF's packed `BitLinear` divides by its `weight_scale` instead, so an
    /// importer passes the reciprocal.
    public let scale: Float

    /// A weight matrix from its parts.
    /// - Precondition: `rows, columns >= 0`, `trits.count == rows * columns`, every trit in
    ///   -1...1.
    public init(rows: Int, columns: Int, trits: [Int8], scale: Float) {
        precondition(rows >= 0 && columns >= 0, "TernaryWeights: negative shape \(rows) x \(columns)")
        let (count, overflow) = rows.multipliedReportingOverflow(by: columns)
        precondition(!overflow && trits.count == count,
                     "TernaryWeights: \(trits.count) trits for a \(rows) x \(columns) matrix")
        precondition(trits.allSatisfy { $0 >= -1 && $0 <= 1 }, "TernaryWeights: a trit outside -1...1")
        self.rows = rows
        self.columns = columns
        self.trits = trits
        self.scale = scale
    }
}

/// The reference numerics of BitNet b1.58 inference, step by step (see the sources at the
/// top of this file).
///
/// `bitLinear` is the whole layer; it is exactly
/// `dequantize(accumulate(quantizeActivations(x)), ...)`. All inputs must be finite: torch's
/// result for NaN or infinity is unspecified (a NaN cast to int8), so the reference traps.
public enum BitNetReference {
    /// The lower clamp of gamma and of the per-token max |x|: `clamp(min=1e-5)` in the HF code,
    /// where the Python number becomes the float32 nearest to 1e-5.
    public static let epsilon: Float = 1e-5

    /// The largest activation code (8-bit, `Qp = 2^(8-1) - 1`).
    public static let activationMax: Float = 127
    /// The smallest activation code (`Qn = -2^(8-1)`). Unreachable for finite inputs, since
    /// |x * s| <= max|x| * s is within a few ulps of 127; kept as the code's clamp.
    public static let activationMin: Float = -128

    // MARK: - Weights

    /// gamma = mean |W| over the whole tensor, in float32.
    ///
    /// torch reduces in float32 in its own (vectorized, pairwise) order, which Swift cannot
    /// reproduce bit for bit in general. This sums |w| in Double, in index order, divides by
    /// the count in Double and rounds once to Float: deterministic, and the correctly rounded
    /// mean except when the Double sum itself rounded (over 2^29 similar terms, or terms more
    /// than 2^29 apart in magnitude) or the Double quotient lies within 2^-29 ulp of a Float
    /// rounding boundary. It can therefore differ from torch's gamma by an ulp or so; that
    /// changes a trit only for a weight within that much of a rounding boundary
    /// (|W| * sw within about 1e-7 relative of 0.5 or 1.5), and the scale by that ulp.
    /// - Precondition: `w` is non-empty and finite.
    public static func absMean(_ w: [Float]) -> Float {
        precondition(!w.isEmpty, "BitNetReference.absMean: empty tensor (torch gives NaN)")
        var sum = 0.0
        for value in w {
            precondition(value.isFinite, "BitNetReference: non-finite weight \(value)")
            sum += Double(value.magnitude)
        }
        return Float(sum / Double(w.count))
    }

    /// The weight quantization scale `sw = 1.0 / clamp(gamma, min=1e-5)`, computed as torch
    /// computes a number divided by a tensor: `reciprocal(clamp(gamma)) * 1.0`, i.e. the
    /// correctly rounded reciprocal (HF `WeightQuant.forward`).
    public static func weightScale(absMean gamma: Float) -> Float {
        (1 / max(gamma, epsilon)) * 1
    }

    /// Absmean ternary quantization of one weight tensor (HF `WeightQuant.forward`):
    /// `sw = 1 / max(gamma, 1e-5)`, `Wq = clamp(round_half_even(W * sw), -1, 1)`; the returned
    /// `scale` is `1 / sw`, the value HF's `Wq / sw` gives a +1 weight.
    /// - Parameters:
    ///   - w: row-major `rows x columns` (out x in) latent float weights.
    /// - Precondition: `rows, columns > 0`, `w.count == rows * columns`, `w` finite.
    public static func quantizeWeights(_ w: [Float], rows: Int, columns: Int) -> TernaryWeights {
        precondition(rows > 0 && columns > 0, "BitNetReference.quantizeWeights: shape \(rows) x \(columns)")
        let (count, overflow) = rows.multipliedReportingOverflow(by: columns)
        precondition(!overflow && w.count == count,
                     "BitNetReference.quantizeWeights: \(w.count) values for a \(rows) x \(columns) matrix")
        let sw = weightScale(absMean: absMean(w))
        let trits = w.map { Int8(roundClamp($0 * sw, min: -1, max: 1)) }
        return TernaryWeights(rows: rows, columns: columns, trits: trits, scale: 1 / sw)
    }

    // MARK: - Activations

    /// The activation scale of one token, `s = 127 / clamp(max|x|, min=1e-5)`, computed as
    /// torch computes a number divided by a tensor: `reciprocal(clamp(max|x|)) * 127` (HF
    /// `ActQuant.forward`, `BitLinear.activation_quant`; torch/_tensor.py `__rdiv__`).
    public static func activationScale(absMax: Float) -> Float {
        (1 / max(absMax, epsilon)) * activationMax
    }

    /// Per-token absmax 8-bit quantization (HF `ActQuant.forward` without its final division,
    /// `BitLinear.activation_quant`): for each token (row of `features` values),
    /// `s = 127 / max(max|x|, 1e-5)` and `xq = clamp(round_half_even(x * s), -128, 127)`.
    /// - Parameters:
    ///   - x: row-major `tokens x features` activations (the last dimension is the features).
    /// - Returns: the codes, row-major like `x`, and one scale `s` per token.
    /// - Precondition: `tokens >= 0`, `features > 0`, `x.count == tokens * features`, `x` finite.
    public static func quantizeActivations(_ x: [Float], tokens: Int, features: Int) -> (q: [Int8], scales: [Float]) {
        precondition(tokens >= 0 && features > 0, "BitNetReference.quantizeActivations: shape \(tokens) x \(features)")
        let (count, overflow) = tokens.multipliedReportingOverflow(by: features)
        precondition(!overflow && x.count == count,
                     "BitNetReference.quantizeActivations: \(x.count) values for \(tokens) x \(features)")
        var q = [Int8](repeating: 0, count: count)
        var scales = [Float](repeating: 0, count: tokens)
        for t in 0..<tokens {
            let row = x[(t * features)..<((t + 1) * features)]
            var absMax: Float = 0
            for value in row {
                precondition(value.isFinite, "BitNetReference: non-finite activation \(value)")
                absMax = max(absMax, value.magnitude)
            }
            let s = activationScale(absMax: absMax)
            scales[t] = s
            for i in row.indices {  // a slice keeps the indices of x
                q[i] = Int8(roundClamp(row[i] * s, min: activationMin, max: activationMax))
            }
        }
        return (q, scales)
    }

    // MARK: - The integer product and the dequantization

    /// The exact integer product `acc[t, r] = sum_c xq[t, c] * trits[r, c]`: `[tokens, rows]`,
    /// row-major (`F.linear` of the codes, the kernel's int8 x int2 dot product).
    /// - Precondition: `xq.count == tokens * w.columns`, and `w.columns <= Int32.max / 128` so
    ///   that no sum can overflow Int32.
    public static func accumulate(_ xq: [Int8], tokens: Int, _ w: TernaryWeights) -> [Int32] {
        let columns = w.columns
        let rows = w.rows
        precondition(tokens >= 0, "BitNetReference.accumulate: \(tokens) tokens")
        precondition(columns <= Int(Int32.max) / 128, "BitNetReference.accumulate: \(columns) columns could overflow Int32")
        let (count, overflow) = tokens.multipliedReportingOverflow(by: columns)
        precondition(!overflow && xq.count == count,
                     "BitNetReference.accumulate: \(xq.count) codes for \(tokens) tokens of \(columns) features")
        var acc = [Int32](repeating: 0, count: tokens * rows)
        xq.withUnsafeBufferPointer { x in
            w.trits.withUnsafeBufferPointer { trits in
                acc.withUnsafeMutableBufferPointer { out in
                    for t in 0..<tokens {
                        let xRow = t * columns
                        for r in 0..<rows {
                            let wRow = r * columns
                            var sum: Int32 = 0
                            for c in 0..<columns {
                                sum &+= Int32(x[xRow + c]) &* Int32(trits[wRow + c])
                            }
                            out[t * rows + r] = sum
                        }
                    }
                }
            }
        }
        return acc
    }

    /// The float output `y[t, r] = Float(acc[t, r]) / s[t] * weightScale`, in that order:
    /// divide by the token's activation scale, then multiply by the weight scale
    /// (microsoft/BitNet `ladder_int8xint2_kernel`'s epilogue; HF `AutoBitLinear` divides each
    /// code by `s` in `ActQuant`, sums in `F.linear`, then multiplies by `weight_scale`, which
    /// is the same up to the rounding of its float sum).
    ///
    /// `Float(acc)` is exact while |acc| < 2^24, i.e. for up to 131,072 input features. A
    /// NaN result (only with a weight scale of 0 or infinity) is the canonical NaN
    /// (`canonicalNaN`).
    /// - Precondition: `acc.count == tokens * rows`, `activationScales.count == tokens`.
    public static func dequantize(_ acc: [Int32], tokens: Int, rows: Int, activationScales: [Float], weightScale: Float) -> [Float] {
        precondition(tokens >= 0 && rows >= 0, "BitNetReference.dequantize: shape \(tokens) x \(rows)")
        let (count, overflow) = tokens.multipliedReportingOverflow(by: rows)
        precondition(!overflow && acc.count == count && activationScales.count == tokens,
                     "BitNetReference.dequantize: \(acc.count) sums and \(activationScales.count) scales for \(tokens) x \(rows)")
        var y = [Float](repeating: 0, count: count)
        for t in 0..<tokens {
            let s = activationScales[t]
            for r in 0..<rows {
                let i = t * rows + r
                y[i] = canonical((Float(acc[i]) / s) * weightScale)
            }
        }
        return y
    }

    /// The whole reference layer: `x` (`tokens x weights.columns`, row-major) to
    /// `y` (`tokens x weights.rows`): quantize the activations per token, take the exact
    /// integer product with the trits, dequantize.
    public static func bitLinear(_ x: [Float], tokens: Int, weights: TernaryWeights) -> [Float] {
        let (q, scales) = quantizeActivations(x, tokens: tokens, features: weights.columns)
        let acc = accumulate(q, tokens: tokens, weights)
        return dequantize(acc, tokens: tokens, rows: weights.rows, activationScales: scales, weightScale: weights.scale)
    }

    /// The float32 NaN every NaN result is reported as (0x7FC00000, ISA.md 7.11).
    ///
    /// IEEE 754 leaves the sign and payload of a NaN produced by an operation to the
    /// implementation: an x86 host gives 0xFFC00000 for infinity * 0, an ARM host
    /// 0x7FC00000, and torch returns what the host gives. A reference that kept those bits
    /// would differ from host to host, so it follows the machine's rule instead (which also
    /// makes it comparable with the machine bit for bit). Only a weight scale of 0 or
    /// non-finite inputs produce a NaN here.
    public static let canonicalNaN = Float(bitPattern: 0x7FC0_0000)

    @inline(__always)
    static func canonical(_ value: Float) -> Float { value.isNaN ? canonicalNaN : value }

    /// `clamp(round_half_even(value), min, max)`, torch's `.round().clamp(min, max)`.
    @inline(__always)
    static func roundClamp(_ value: Float, min low: Float, max high: Float) -> Float {
        Swift.min(Swift.max(value.rounded(.toNearestOrEven), low), high)
    }
}
