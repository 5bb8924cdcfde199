import Foundation

// The reference of a whole BitNet b1.58 decoder, in plain Swift, following ISA.md chapter 11
// operation by operation (the contract the decoder compiler follows too), so that a compiled
// decoder can be checked against it bit for bit.
//
// The model is Hugging Face transformers' models/bitnet/modeling_bitnet.py
// (`BitNetDecoderLayer`, `BitNetAttention`, `BitNetMLP`, `BitNetModel`, `BitNetForCausalLM`;
// squared ReLU and SubLN) and the LLaMA-style b1.58 models (SiLU, the same sub-norms). Where
// HF leaves a float operation's order to torch, chapter 11 fixes the machine's order, and
// this file follows it: the lane-chunked dot products and sums with the pairwise tree, the
// machine's exp, the softmax in the order max, exp, sum, reciprocal, multiply, and the
// attention's value sum as sequential fmas. The float building blocks are in
// FloatKernelsReference.swift; the BitLinears are `BitNetReference.bitLinear`.

/// A BitNet b1.58 decoder run on the host as ISA.md chapter 11 specifies it: the reference
/// the compiled decoder must match bit for bit.
///
/// It keeps a KV cache: each `forward` call runs its tokens at the next positions and
/// appends their keys and values.
public struct DecoderReference: Sendable {
    /// The model.
    public let weights: DecoderWeights
    /// The machine's VLEN: the lane count of every dot product and sum (11.1).
    public let vlen: Int
    /// How the KV cache stores keys and values (11.2 step 4).
    public let kvFormat: KVCacheFormat
    /// The order of attention's sums (11.2 step 5): the machine's ROWS when it runs the
    /// float matrix products (a 16-bit cache), nil for the lane-wise kernel (fp32, or a
    /// machine too small for the matrix kernel).
    public let attentionRows: Int?
    /// One KV cache per layer.
    public private(set) var caches: [KVCache]

    /// `rms_norm_eps` rounded to float32 (11.1).
    let eps: Float
    /// `inv_freq` of the RoPE tables (11.4) and the table rows computed so far.
    let inverseFrequencies: [Float]
    var cosTable: [Float] = []
    var sinTable: [Float] = []

    /// A decoder with an empty KV cache.
    /// - Precondition: `vlen > 0`; `head_dim` even; every tensor of `weights` has the shape
    ///   its config gives (as `DecoderWeights.load` and `DecoderWeights.random` produce).
    public init(weights: DecoderWeights, vlen: Int, kvFormat: KVCacheFormat = .bf16, attentionRows: Int? = nil) {
        let c = weights.config
        precondition(vlen > 0, "DecoderReference: VLEN must be positive (got \(vlen))")
        precondition(c.headDim > 0 && c.headDim % 2 == 0, "DecoderReference: head_dim must be even for RoPE (got \(c.headDim))")
        precondition(c.keyValueHeads > 0 && c.attentionHeads % c.keyValueHeads == 0,
                     "DecoderReference: \(c.attentionHeads) heads are not a multiple of \(c.keyValueHeads) KV heads")
        Self.checkShapes(weights)
        self.weights = weights
        self.vlen = vlen
        self.kvFormat = kvFormat
        precondition(attentionRows ?? 1 > 0, "DecoderReference: ROWS must be positive")
        self.attentionRows = attentionRows
        self.caches = weights.layers.map { _ in KVCache(format: kvFormat, width: c.keyValueHeads * c.headDim) }
        self.eps = Float(c.rmsNormEps)
        self.inverseFrequencies = Self.ropeInverseFrequencies(theta: c.ropeTheta, headDim: c.headDim)
    }

    /// Tokens already in the KV cache.
    public private(set) var position = 0

    /// Runs `tokens` at positions position ..< position + tokens.count (appending to the KV
    /// cache) and returns the logits of the last token, or of every token when `allLogits`
    /// (11.3: a prefill runs the head only for the tokens whose logits are asked for).
    /// No tokens give no logits.
    /// - Precondition: every token id is in `0 ..< vocab_size`.
    public mutating func forward(_ tokens: [Int], allLogits: Bool = false) -> [[Float]] {
        let c = weights.config
        for token in tokens {
            precondition(token >= 0 && token < c.vocabSize, "DecoderReference.forward: token id \(token) is outside 0 ..< \(c.vocabSize)")
        }
        var logits: [[Float]] = []
        for (index, token) in tokens.enumerated() {
            let p = position
            growRopeTables(through: p)
            // 11.3: the embedding row, bf16 or fp16 converted exactly.
            let row = token * c.hiddenSize
            var x = weights.embedding[row..<(row + c.hiddenSize)].map(weights.tableFormat.float)
            for l in weights.layers.indices {
                x = Self.layer(x, position: p, weights: weights.layers[l], config: c, cache: &caches[l],
                               cos: cosTable, sin: sinTable, vlen: vlen, attentionRows: attentionRows)
            }
            position += 1
            if allLogits || index == tokens.count - 1 {
                logits.append(Self.logits(x, finalNorm: weights.finalNorm, head: weights.head, format: weights.tableFormat, eps: eps, vlen: vlen))
            }
        }
        return logits
    }

    /// Extends the RoPE tables to hold row `p`.
    mutating func growRopeTables(through p: Int) {
        let half = inverseFrequencies.count
        while cosTable.count < (p + 1) * half {
            Self.appendRopeRow(position: cosTable.count / half, inverseFrequencies: inverseFrequencies, cos: &cosTable, sin: &sinTable)
        }
    }

    // MARK: - The KV cache

    /// One layer's KV cache (11.2 step 4): per position, the rotated keys and the values of
    /// all KV heads (`width = kv_heads * head_dim` each), stored in `format` (bf16 rounds to
    /// nearest even; fp32 is exact). Kept as the float32 values that reading the cache back
    /// gives (bf16 converts to float32 exactly).
    public struct KVCache: Sendable, Equatable {
        /// The storage format.
        public let format: KVCacheFormat
        /// Values per position: `kv_heads * head_dim`.
        public let width: Int
        /// Row-major `[position][width]`, as read back from the cache.
        public private(set) var keys: [Float] = []
        /// Row-major `[position][width]`, as read back from the cache.
        public private(set) var values: [Float] = []

        /// An empty cache. - Precondition: `width > 0`.
        public init(format: KVCacheFormat, width: Int) {
            precondition(width > 0, "DecoderReference.KVCache: width \(width)")
            self.format = format
            self.width = width
        }

        /// Positions stored.
        public var count: Int { keys.count / width }

        /// Stores `key` and `value` at the next position, rounded to the format.
        /// - Precondition: both have `width` values.
        public mutating func append(key: [Float], value: [Float]) {
            precondition(key.count == width && value.count == width, "DecoderReference.KVCache: \(key.count) and \(value.count) values for width \(width)")
            keys.append(contentsOf: key.map(stored))
            values.append(contentsOf: value.map(stored))
        }

        /// A value as the cache gives it back: bf16 (`stbf`, round to nearest even, then
        /// `ldbf`, exact), fp16 (`sthf`, round to nearest even, overflow to infinity, then
        /// `ldhf`, exact; NaN canonical), or unchanged in fp32.
        func stored(_ value: Float) -> Float {
            switch format {
            case .bf16: BFloat16.float(BFloat16.bits(value))
            case .fp16: value.isNaN ? Float(bitPattern: 0x7FC0_0000) : Float(Float16(value))
            case .fp32: value
            }
        }
    }

    // MARK: - Attention

    /// The attention of one query head over `count` cached positions (11.2 step 5):
    /// `score[j] = dot(q, k_j, d) * scaling` with `scaling = Float(d^-0.5)`;
    /// `m = max(score)`; `e[j] = exp(score[j] - m)`; `z = sum(e)`; `inv = 1 / z`;
    /// `prob[j] = e[j] * inv`; `out[i] = +0.0`, then for `j = 0 ..< count` in order,
    /// `out[i] = fma(prob[j], v_j[i], out[i])`.
    /// - Parameters:
    ///   - query: the rotated query head, `headDim` values.
    ///   - keys: row-major `[count][headDim]`: this head's keys as read back from the cache.
    ///   - values: row-major `[count][headDim]`, likewise.
    /// - Precondition: `count > 0`, the arrays hold those shapes, `vlen > 0`.
    public static func attention(query: [Float], keys: [Float], values: [Float], count: Int, headDim: Int, vlen: Int) -> [Float] {
        precondition(count > 0 && headDim > 0 && query.count == headDim && keys.count == count * headDim && values.count == count * headDim,
                     "DecoderReference.attention: query \(query.count), keys \(keys.count), values \(values.count) for \(count) x \(headDim)")
        return query.withUnsafeBufferPointer { q in
            keys.withUnsafeBufferPointer { k in
                values.withUnsafeBufferPointer { v in
                    attention(q, 0, keys: k, values: v, rows: (0..<count).map { $0 * headDim }, headDim: headDim, vlen: vlen)
                }
            }
        }
    }

    /// `attention` with the query at `query[queryStart...]` and key / value row `j` at
    /// `keys[rows[j]...]`, `values[rows[j]...]`.
    static func attention(_ query: UnsafeBufferPointer<Float>, _ queryStart: Int, keys: UnsafeBufferPointer<Float>,
                          values: UnsafeBufferPointer<Float>, rows: [Int], headDim d: Int, vlen: Int) -> [Float] {
        // HF `BitNetAttention.__init__`: `self.scaling = self.head_dim**-0.5`, a Python float
        // that multiplies a float32 tensor as float32.
        let scaling = Float(Foundation.pow(Double(d), -0.5))
        let n = rows.count
        var score = [Float](repeating: 0, count: n)
        for j in 0..<n { score[j] = canonical(dot(query, queryStart, keys, rows[j], count: d, vlen: vlen) * scaling) }
        let m = max(score, count: n)
        var e = [Float](repeating: 0, count: n)
        for j in 0..<n { e[j] = exp(canonical(score[j] - m)) }
        let z = sum(e, count: n, vlen: vlen)
        let inv = canonical(1 / z)
        var out = [Float](repeating: 0, count: d)
        for j in 0..<n {
            let prob = canonical(e[j] * inv)
            for i in 0..<d { out[i] = fma(prob, values[rows[j] + i], out[i]) }
        }
        return out
    }

    /// `matrixAttention` on plain arrays: `keys` and `values` row-major `[count][headDim]`.
    public static func matrixAttention(query: [Float], keys: [Float], values: [Float], count: Int, headDim: Int, vlen: Int,
                                       matrixRows: Int) -> [Float] {
        precondition(count > 0 && headDim > 0 && query.count == headDim && keys.count == count * headDim && values.count == count * headDim,
                     "DecoderReference.matrixAttention: query \(query.count), keys \(keys.count), values \(values.count) for \(count) x \(headDim)")
        return query.withUnsafeBufferPointer { q in
            keys.withUnsafeBufferPointer { k in
                values.withUnsafeBufferPointer { v in
                    matrixAttention(q, 0, keys: k, values: v, rows: (0..<count).map { $0 * headDim }, headDim: headDim, vlen: vlen,
                                    matrixRows: matrixRows)
                }
            }
        }
    }

    /// Attention as the float matrix products compute it (11.2 step 5, 7.12), for a 16-bit
    /// cache: a score is `+0.0`, plus per chunk of `vlen` features the `tree` of the rounded
    /// products `q[i] * k[i]`, times the scaling; the softmax as in `attention` (e, their
    /// lane-wise `sum`, 1 / sum); the output starts at +0.0 and adds, per tile of
    /// `matrixRows` keys from key 0, for each feature `i` the `tree` of the rounded products
    /// `prob[j] * v_j[i]` over the tile's rows, where `prob[j] = e[j] * (1 / sum)` and the
    /// rows after the last key have value 0 and probability 0 * (1 / sum).
    static func matrixAttention(_ query: UnsafeBufferPointer<Float>, _ queryStart: Int, keys: UnsafeBufferPointer<Float>,
                                values: UnsafeBufferPointer<Float>, rows: [Int], headDim d: Int, vlen: Int,
                                matrixRows: Int) -> [Float] {
        let scaling = Float(Foundation.pow(Double(d), -0.5))
        let n = rows.count
        var score = [Float](repeating: 0, count: n)
        for j in 0..<n {
            var s: Float = 0
            for c in stride(from: 0, to: d, by: vlen) {
                let products = (c..<Swift.min(d, c + vlen)).map { canonical(query[queryStart + $0] * keys[rows[j] + $0]) }
                s = canonical(s + tree(products))
            }
            score[j] = canonical(s * scaling)
        }
        let m = max(score, count: n)
        let e = (0..<n).map { exp(canonical(score[$0] - m)) }
        let inv = canonical(1 / sum(e, count: n, vlen: vlen))
        var out = [Float](repeating: 0, count: d)
        for start in stride(from: 0, to: n, by: matrixRows) {
            let probs = (0..<matrixRows).map { canonical((start + $0 < n ? e[start + $0] : 0) * inv) }
            for i in 0..<d {
                let products = (0..<matrixRows).map { r in canonical(probs[r] * (start + r < n ? values[rows[start + r] + i] : 0)) }
                out[i] = canonical(out[i] + tree(products))
            }
        }
        return out
    }

    // MARK: - BitLinear and the FFN's activation

    /// One token through a BitLinear (11.1 `bitlinear`): `BitNetReference.bitLinear` for
    /// finite activations. For an activation that is infinite or NaN (which
    /// `BitNetReference` rejects: torch's result is unspecified there), the machine's
    /// instructions decide (ISA.md 7.11): `famax` propagates a NaN, `fmax` with 1e-5,
    /// `s = (1 / m) * 127`, `fq` turns a NaN product into the code 0 and clamps infinities,
    /// `y = (Float(acc) / s) * gamma`. So a model whose activations overflow gives a result
    /// instead of a trap.
    /// - Precondition: `x.count == weights.columns`.
    public static func bitLinear(_ x: [Float], weights: TernaryWeights) -> [Float] {
        precondition(x.count == weights.columns, "DecoderReference.bitLinear: \(x.count) inputs for \(weights.columns) columns")
        if x.allSatisfy(\.isFinite) { return BitNetReference.bitLinear(x, tokens: 1, weights: weights) }
        var m: Float = 0
        for value in x { m = value.isNaN || m.isNaN ? canonicalNaN : Swift.max(m, value.magnitude) }
        m = maximum(m, BitNetReference.epsilon)
        let s = canonical(canonical(1 / m) * BitNetReference.activationMax)
        let codes = x.map { value -> Int8 in
            let product = value * s
            if product.isNaN { return 0 }
            return Int8(Swift.min(Swift.max(product.rounded(.toNearestOrEven), BitNetReference.activationMin), BitNetReference.activationMax))
        }
        let acc = BitNetReference.accumulate(codes, tokens: 1, weights)
        return BitNetReference.dequantize(acc, tokens: 1, rows: weights.rows, activationScales: [s], weightScale: weights.scale)
    }

    /// The FFN's element-wise part (11.2 step 7), `f = act(g) * u`:
    /// squared ReLU: `r = maximum(g, +0.0)`, `f = (r * r) * u` (HF `ReLUSquaredActivation`);
    /// SiLU: `t = exp(g * -1.0)`, `t = t + 1.0`, `f = (g / t) * u` (torch's
    /// `x / (1 + exp(-x))`), with the machine's `exp`.
    /// - Precondition: `gate.count == up.count`.
    public static func gatedActivation(gate: [Float], up: [Float], activation: ModelConfig.Activation) -> [Float] {
        precondition(gate.count == up.count, "DecoderReference.gatedActivation: \(gate.count) gate and \(up.count) up values")
        var f = [Float](repeating: 0, count: gate.count)
        for i in gate.indices {
            let g = gate[i]
            switch activation {
            case .relu2:
                let r = maximum(g, 0)
                f[i] = canonical(canonical(r * r) * up[i])
            case .silu:
                let t = canonical(exp(canonical(g * -1)) + 1)
                f[i] = canonical(canonical(g / t) * up[i])
            }
        }
        return f
    }

    // MARK: - One layer

    /// One token at `position` through one decoder layer (11.2 steps 1-8), appending its key
    /// and value to `cache` (which must hold exactly the `position` earlier tokens).
    /// - Parameters:
    ///   - x: the residual stream, `hidden_size` values.
    ///   - cos: RoPE tables (`ropeTables`) holding row `position`.
    /// - Returns: the residual stream after the layer.
    /// - Precondition: the shapes of `weights` match `config`; `cache.count == position`;
    ///   `cache.width == kv_heads * head_dim`.
    public static func layer(_ x: [Float], position: Int, weights w: DecoderLayerWeights, config c: ModelConfig,
                             cache: inout KVCache, cos: [Float], sin: [Float], vlen: Int,
                             attentionRows: Int? = nil) -> [Float] {
        let d = c.headDim
        precondition(x.count == c.hiddenSize, "DecoderReference.layer: \(x.count) inputs for hidden_size \(c.hiddenSize)")
        precondition(cache.count == position && cache.width == c.keyValueHeads * d,
                     "DecoderReference.layer: a cache of \(cache.count) positions x \(cache.width) at position \(position)")
        let eps = Float(c.rmsNormEps)
        // 1-2.
        let h = rmsNorm(x, weight: w.inputNorm, eps: eps, vlen: vlen)
        var q = bitLinear(h, weights: w.q)
        var k = bitLinear(h, weights: w.k)
        let v = bitLinear(h, weights: w.v)
        // 3-4.
        q = rope(q, position: position, cos: cos, sin: sin, headDim: d)
        k = rope(k, position: position, cos: cos, sin: sin, headDim: d)
        cache.append(key: k, value: v)
        // 5. GQA: query head `head` reads KV head `head / (heads / kv_heads)` (HF `repeat_kv`
        // repeats each KV head for consecutive query heads).
        let group = c.attentionHeads / c.keyValueHeads
        let count = position + 1
        var heads: [Float] = []
        heads.reserveCapacity(c.attentionHeads * d)
        q.withUnsafeBufferPointer { qp in
            cache.keys.withUnsafeBufferPointer { kp in
                cache.values.withUnsafeBufferPointer { vp in
                    for head in 0..<c.attentionHeads {
                        let offset = (head / group) * d
                        let rows = (0..<count).map { $0 * cache.width + offset }
                        if let attentionRows {
                            heads.append(contentsOf: matrixAttention(qp, head * d, keys: kp, values: vp, rows: rows, headDim: d,
                                                                     vlen: vlen, matrixRows: attentionRows))
                        } else {
                            heads.append(contentsOf: attention(qp, head * d, keys: kp, values: vp, rows: rows, headDim: d, vlen: vlen))
                        }
                    }
                }
            }
        }
        // 6. The residual add is stream + projection, in that order.
        let a = rmsNorm(heads, weight: w.attentionSubNorm, eps: eps, vlen: vlen)
        let o = bitLinear(a, weights: w.o)
        var stream = add(x, o)
        // 7-8.
        let h2 = rmsNorm(stream, weight: w.postAttentionNorm, eps: eps, vlen: vlen)
        let g = bitLinear(h2, weights: w.gate)
        let u = bitLinear(h2, weights: w.up)
        let f = rmsNorm(gatedActivation(gate: g, up: u, activation: c.activation), weight: w.ffnSubNorm, eps: eps, vlen: vlen)
        stream = add(stream, bitLinear(f, weights: w.down))
        return stream
    }

    /// `a[i] + b[i]` (`fvadd`).
    static func add(_ a: [Float], _ b: [Float]) -> [Float] {
        precondition(a.count == b.count, "DecoderReference.add: \(a.count) and \(b.count) values")
        return zip(a, b).map { canonical($0 + $1) }
    }

    // MARK: - The head

    /// The logits of one token (11.3): `y = rmsnorm(x, norm)`, then
    /// `logits[v] = dot(W_head[v], y, hidden)` for every row `v` of the bf16 head (the LM
    /// head, or the tied embedding), converted exactly.
    /// - Parameters:
    ///   - head: row-major `[vocab][x.count]` bf16 bit patterns.
    /// - Precondition: `finalNorm.count == x.count`, `head.count` a multiple of it.
    public static func logits(_ x: [Float], finalNorm: [UInt16], head: [UInt16], format: TableFormat = .bf16, eps: Float, vlen: Int) -> [Float] {
        let hidden = x.count
        precondition(hidden > 0 && head.count % hidden == 0, "DecoderReference.logits: a head of \(head.count) values for hidden \(hidden)")
        let y = rmsNorm(x, weight: finalNorm, eps: eps, vlen: vlen)
        var row = [Float](repeating: 0, count: hidden)
        var logits: [Float] = []
        logits.reserveCapacity(head.count / hidden)
        y.withUnsafeBufferPointer { yp in
            for start in stride(from: 0, to: head.count, by: hidden) {
                // Converting row by row keeps the head in 16 bits (a float32 copy of a 128k
                // x 2560 head would take 1.3 GB).
                for i in 0..<hidden { row[i] = format.float(head[start + i]) }
                logits.append(row.withUnsafeBufferPointer { dot($0, 0, yp, 0, count: hidden, vlen: vlen) })
            }
        }
        return logits
    }

    // MARK: - Shapes

    /// Traps, naming the tensor, unless every tensor of `weights` has its config's shape.
    static func checkShapes(_ weights: DecoderWeights) {
        let c = weights.config
        func check(_ ok: Bool, _ what: @autoclosure () -> String) {
            precondition(ok, "DecoderReference: \(what()) does not match the config")
        }
        check(weights.embedding.count == c.vocabSize * c.hiddenSize, "model.embed_tokens.weight (\(weights.embedding.count) values)")
        check(weights.finalNorm.count == c.hiddenSize, "model.norm.weight (\(weights.finalNorm.count) values)")
        check(weights.head.count == c.vocabSize * c.hiddenSize, "lm_head.weight (\(weights.head.count) values)")
        let shapes = c.linearLayers
        for (i, layer) in weights.layers.enumerated() {
            let prefix = "model.layers.\(i)."
            for (shape, (name, t)) in zip(shapes, layer.projections) {
                check(t.rows == shape.outFeatures && t.columns == shape.inFeatures, "\(prefix)\(name) (\(t.rows) x \(t.columns))")
            }
            check(layer.inputNorm.count == c.hiddenSize, "\(prefix)input_layernorm.weight")
            check(layer.attentionSubNorm.count == c.attentionHeads * c.headDim, "\(prefix)self_attn.attn_sub_norm.weight")
            check(layer.postAttentionNorm.count == c.hiddenSize, "\(prefix)post_attention_layernorm.weight")
            check(layer.ffnSubNorm.count == c.intermediateSize, "\(prefix)mlp.ffn_sub_norm.weight")
        }
    }
}
