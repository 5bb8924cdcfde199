import NMPISA
import NMPSimulator

/// The element-wise and per-row float32 operations of a decoder (ISA.md chapter 11):
/// embedding fetch, RMSNorm, RoPE, the KV cache write, residual adds and the gated
/// activation. Each reads its inputs from DRAM, works in the activation SRAM from address
/// 64 on, writes its outputs to DRAM and drains its DMA before the next operation starts.
struct FloatKernels {
    let config: MachineConfig
    private var vlen: Int { config.vlen }
    static let base = 64

    private static func align(_ n: Int) -> Int { (n + 63) / 64 * 64 }

    // MARK: Embedding

    /// `out[t] = f32(table[ids[t]])` for `tokens` tokens: the id by DMA, the bf16 or fp16 row
    /// by DMA, converted exactly (`ldbf` / `ldhf`), written back as float32.
    func embed(tokens: Int, ids: Int, table: Int, format: TableFormat, hidden: Int, out: Int, into b: inout ProgramBuilder) throws(CompileError) {
        let row = Self.base, converted = Self.align(row + 2 * hidden)
        try requireActivationSRAM(converted + 4 * hidden, config, for: "the embedding fetch of a \(hidden)-wide row")
        b.comment("embedding: one \(format.rawValue) row per token id, fetched by DMA")
        b.li(R.r7, vlen)
        b.li(R.r1, ids, wide: true)
        b.li(R.r2, out, wide: true)
        b.repeatLoop(tokens, counter: R.r3, "embed") { b in
            b.emit(.addi, .reg(R.r13), .reg(.zero), .imm(0))
            b.emit(.addi, .reg(R.r15), .reg(.zero), .imm(4))
            b.emit(.dmaa, .reg(R.r13), .reg(R.r1), .reg(R.r15), note: "the token id")
            b.emit(.dwait, .imm(0))
            b.emit(.lw, .reg(R.r4), .mem(.zero, 0))
            b.li(R.r5, 2 * hidden)
            b.emit(.mul, .reg(R.r4), .reg(R.r4), .reg(R.r5), note: "row offset in the table")
            b.li(R.r5, table, wide: true)
            b.emit(.add, .reg(R.r4), .reg(R.r4), .reg(R.r5))
            b.transfer(.dmaa, dram: R.r4, sram: row, bytes: 2 * hidden, note: "the \(format.rawValue) embedding row")
            b.emit(.dwait, .imm(0))
            b.li(R.r5, row)
            b.li(R.r6, converted)
            b.chunks(hidden, vlen: vlen, vlenReg: R.r7, counter: R.r9, scratch: R.r10, "embed_row") { b in
                b.emit(format.load, .reg(.a(0)), .mem(R.r5, 0))
                b.emit(.sta, .reg(.a(0)), .mem(R.r6, 0))
                b.addConstant(R.r5, 2 * vlen, scratch: R.r11)
                b.addConstant(R.r6, 4 * vlen, scratch: R.r11)
            }
            b.transfer(.dmas, dram: R.r2, sram: converted, bytes: 4 * hidden)
            b.emit(.addi, .reg(R.r1), .reg(R.r1), .imm(4))
            b.addConstant(R.r2, 4 * hidden, scratch: R.r11)
        }
        b.emit(.dwait, .imm(0))
    }

    // MARK: RMSNorm

    /// `out[t] = rmsnorm(in[t], weight)` over `n` features for `tokens` rows (ISA.md 11.1).
    ///
    /// Each row comes in and goes out in up to three pieces of whole chunks, so that the sum of
    /// squares starts on the first piece while the others are in flight (`dwait` for all but
    /// the pieces still behind it) and each piece of the result leaves while the next is
    /// scaled; the order of every sum is the one-piece order (lane partials over the chunks in
    /// order, then the tree). With several tokens the pieces go through a ring of piece
    /// buffers (ISA.md 11.5), so that the next row comes in while this one is computed.
    /// - Parameter drains: as for `rope` (a BitLinear or the LM head comes next: each starts
    ///   with its input's DMA and waits for it before it writes the activation SRAM).
    func rmsNorm(tokens: Int, input: Int, output: Int, weight: Int, n: Int, epsilon: Float, drains: Bool = true,
                 into b: inout ProgramBuilder) throws(CompileError) {
        let weights = Self.base, row = Self.align(weights + 2 * n)
        try requireActivationSRAM(row + 4 * n, config, for: "an RMSNorm over \(n) features (its bf16 weight and one float32 row)")
        let chunks = (n + vlen - 1) / vlen
        let pieceChunks = (chunks + 2) / 3
        let pieces: [(start: Int, count: Int)] = stride(from: 0, to: chunks, by: pieceChunks).map { c in
            (c * vlen, min(n, (c + pieceChunks) * vlen) - c * vlen)
        }
        // Pieces stream through a ring of `slots` piece buffers: two rows' worth when they
        // fit (the next row is requested whole right after this one's sum of squares), else
        // one piece more than a row (each piece of the next row is requested as a piece of
        // this one leaves), else the row's own pieces (each token waits for its row).
        let k = pieces.count, slotBytes = Self.align(4 * pieces[0].count)
        let slots = tokens == 1 ? k
            : row + 2 * k * slotBytes <= config.activationSRAM.size ? 2 * k
            : row + (k + 1) * slotBytes <= config.activationSRAM.size ? k + 1 : k
        if tokens > 1 && slots == k {
            b.note("RMSNorm over \(n) features: the activation SRAM has no room for a second row: each token's row comes in while it waits")
        } else if tokens > 1 && slots < 2 * k {
            b.note("RMSNorm over \(n) features: the activation SRAM has room for \(slots) piece buffers, not two rows of \(k) pieces: each piece of the next row comes in as one of this row leaves")
        }
        b.comment("RMSNorm over \(n) features in \(pieces.count) piece(s): sum of squares (lane partials, then the fsum tree), 1 / sqrt(mean + eps), x * r * w")
        b.dma(.dmaa, to: weights, from: weight, bytes: 2 * n, note: "the bf16 norm weight")
        b.li(R.r7, vlen)
        b.li(R.r1, input, wide: true)
        b.li(R.r2, output, wide: true)
        let ring = slots > k
        // Piece j of the token in phase `phase` of the ring (tokens t and t + period share slots).
        let period = slots / gcd(k, slots)
        func slot(_ phase: Int, _ j: Int) -> Int { ring ? row + ((phase * k + j) % slots) * slotBytes : row + 4 * pieces[j].start }
        // The FIFO order in which a token enqueues its results and the next row's pieces:
        // pieces whose slot is free ahead of the results, then each after the result that frees it.
        enum Transfer: Equatable { case request(Int), result(Int) }
        let order: [Transfer] = (0..<k).filter { $0 < slots - k }.map { .request($0) }
            + (0..<k).flatMap { i in [.result(i)] + (i + slots - k < k ? [.request(i + slots - k)] : []) }
        // Transfers behind a row's piece j when its sum of squares starts: the rest of `order`.
        func behind(_ j: Int) -> Int { ring ? order.count - 1 - order.firstIndex(of: .request(j))! : k - 1 - j }
        // Requests piece j of the row at x[r1] into `sram`.
        func request(_ j: Int, into sram: Int, _ b: inout ProgramBuilder) {
            b.emit(.addi, .reg(R.r12), .reg(R.r1), .imm(0))
            b.addConstant(R.r12, 4 * pieces[j].start, scratch: R.r11)
            b.transfer(.dmaa, dram: R.r12, sram: sram, bytes: 4 * pieces[j].count, note: ring ? "a piece of the next row" : "a piece of the row")
        }
        // A token in phase `phase`; `next` requests the next row (ring) as `order` says.
        func token(phase: Int, next: Bool, _ b: inout ProgramBuilder) {
            if !ring { for j in 0..<k { request(j, into: slot(phase, j), &b) } }
            b.li(R.r5, slot(phase, 0))
            b.emit(.setvl, .reg(.zero), .reg(R.r7))
            b.emit(.azero, .reg(.a(1)))
            for (i, piece) in pieces.enumerated() {
                b.emit(.dwait, .imm(behind(i)), note: "piece \(i) is in")
                if ring && i > 0 { b.li(R.r5, slot(phase, i)) }
                // Three chunks at a time, each load ahead of the multiply-add before it: the
                // partial sums' chain (one fvmac per chunk, in chunk order) sets the pace.
                b.chunkGroups(piece.count, group: 3, vlen: vlen, vlenReg: R.r7, counter: R.r9, scratch: R.r10, "sumsq") { b, k in
                    let x = [Reg.a(0), .a(2), .a(3)].prefix(k)
                    for (i, a) in x.enumerated() {
                        b.emit(.lda, .reg(a), .mem(R.r5, 4 * vlen * i))
                        if i > 0 { b.emit(.fvmac, .reg(.a(1)), .reg(x[i - 1]), .reg(x[i - 1]), note: "lane partial sums of x^2") }
                    }
                    b.emit(.fvmac, .reg(.a(1)), .reg(x[k - 1]), .reg(x[k - 1]), note: "lane partial sums of x^2")
                    b.addConstant(R.r5, 4 * vlen * k, scratch: R.r11)
                }
            }
            // The next row's pieces whose buffers are free go out during the divides and the
            // square root below (their latencies), one after each step, the rest after the last.
            var early: [Int] = []
            if next { for case .request(let j) in order.prefix(while: { $0 != .result(0) }) { early.append(j) } }
            func requestEarly(_ count: Int, _ b: inout ProgramBuilder) {
                for j in early.prefix(count) { request(j, into: slot(phase + 1, j), &b) }
                early.removeFirst(min(count, early.count))
            }
            b.li(R.r4, min(n, vlen))
            b.emit(.setvl, .reg(.zero), .reg(R.r4))
            b.emit(.fsum, .reg(R.r6), .reg(.a(1)), note: "the pairwise tree over the lanes")
            b.li(R.r8, float: Float(n))
            b.emit(.fdiv, .reg(R.r6), .reg(R.r6), .reg(R.r8), note: "mean")
            requestEarly(1, &b)
            b.li(R.r8, float: epsilon, note: "eps")
            b.emit(.fadd, .reg(R.r6), .reg(R.r6), .reg(R.r8))
            b.emit(.fsqrt, .reg(R.r6), .reg(R.r6))
            requestEarly(1, &b)
            b.li(R.r8, float: 1)
            b.emit(.fdiv, .reg(R.r6), .reg(R.r8), .reg(R.r6), note: "r = 1 / sqrt(mean + eps)")
            requestEarly(early.count, &b)
            b.li(R.r5, slot(phase, 0))
            b.li(R.r4, weights)
            // x * r * w, three chunks at a time (each one's latencies behind the others' work).
            func scale(_ count: Int, into b: inout ProgramBuilder) {
                let x = [Reg.a(0), .a(1), .a(2)].prefix(count), w = [Reg.a(3), .a(4), .a(5)].prefix(count)
                for (i, a) in x.enumerated() { b.emit(.lda, .reg(a), .mem(R.r5, 4 * vlen * i)) }
                for (i, a) in w.enumerated() { b.emit(.ldbf, .reg(a), .mem(R.r4, 2 * vlen * i)) }
                for a in x { b.emit(.fmuls, .reg(a), .reg(a), .reg(R.r6), note: "x * r") }
                for (a, c) in zip(x, w) { b.emit(.fvmul, .reg(a), .reg(a), .reg(c), note: "* w") }
                for (i, a) in x.enumerated() { b.emit(.sta, .reg(a), .mem(R.r5, 4 * vlen * i)) }
                b.addConstant(R.r5, 4 * vlen * count, scratch: R.r11)
                b.addConstant(R.r4, 2 * vlen * count, scratch: R.r11)
            }
            for (i, piece) in pieces.enumerated() {
                if ring && i > 0 { b.li(R.r5, slot(phase, i)) }
                b.chunkGroups(piece.count, group: 3, vlen: vlen, vlenReg: R.r7, counter: R.r9, scratch: R.r10, "scale") { b, k in
                    scale(k, into: &b)
                }
                b.emit(.addi, .reg(R.r12), .reg(R.r2), .imm(0))
                b.addConstant(R.r12, 4 * piece.start, scratch: R.r11)
                b.transfer(.dmas, dram: R.r12, sram: slot(phase, i), bytes: 4 * piece.count,
                           note: ring ? "a piece of the normed row" : "a piece of the normed row (the next row's pieces queue behind it)")
                if next && i + slots - k < k { request(i + slots - k, into: slot(phase + 1, i + slots - k), &b) }
            }
            if !ring || next { b.addConstant(R.r1, 4 * n, scratch: R.r11) }
            b.addConstant(R.r2, 4 * n, scratch: R.r11)
        }
        if ring {
            // The first row, with empty transfers for the results of a token before it, in
            // `order`: so one `dwait` count fits every token.
            for transfer in order {
                switch transfer {
                case .request(let j): request(j, into: slot(0, j), &b)
                case .result: b.emit(.dmaa, .reg(.zero), .reg(.zero), .reg(.zero), note: "empty: as a result piece")
                }
            }
            b.addConstant(R.r1, 4 * n, scratch: R.r11)
            b.repeatLoop((tokens - 1) / period, counter: R.r3, "norm") { b in
                for phase in 0..<period { token(phase: phase, next: true, &b) }
            }
            for phase in 0..<((tokens - 1) % period) { token(phase: phase, next: true, &b) }
            token(phase: (tokens - 1) % period, next: false, &b)
        } else {
            b.repeatLoop(tokens, counter: R.r3, "norm") { b in token(phase: 0, next: false, &b) }
        }
        if drains { b.emit(.dwait, .imm(0)) }
    }

    private func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }

    // MARK: RoPE

    /// Rotates every head of `buffer` (`[tokens, heads * headDim]` float32, in place) by
    /// the angles of its position: `cos`, `sin` are `[tokens][headDim / 2]` (ISA.md 11.2 step 3).
    ///
    /// With two buffer sets (row, cos and sin) in the activation SRAM, each token's inputs are
    /// requested while the token before it is rotated, and its result leaves without a wait;
    /// an SRAM without room for two sets gets one, each token waiting for its inputs (the
    /// schedule notes say so).
    /// - Parameter drains: `false` leaves the last result's DMA in flight, for a next kernel
    ///   that starts with its own DMA in and a `dwait 0` before it touches the activation SRAM
    ///   (`storeKV`, `rope`): the FIFO orders the copies, and the latencies overlap.
    func rope(tokens: Int, buffer: Int, heads: Int, headDim: Int, cos: Int, sin: Int, drains: Bool = true,
              into b: inout ProgramBuilder) throws(CompileError) {
        let half = headDim / 2
        let cosBuffer = Self.base, sinBuffer = Self.align(cosBuffer + 4 * half), row = Self.align(sinBuffer + 4 * half)
        let width = heads * headDim
        try requireActivationSRAM(row + 4 * width, config, for: "RoPE over \(heads) heads of \(headDim)")
        guard 4 * headDim <= 32767 else { throw CompileError("head_dim \(headDim) is too large for the compiler's 16-bit offsets") }
        // The second set of buffers, `set` bytes after the first.
        let set = Self.align(row + 4 * width) - Self.base
        let buffered = tokens > 1 && Self.base + 2 * set <= config.activationSRAM.size
        if tokens > 1 && !buffered {
            b.note("RoPE: the activation SRAM has no room for a second row of \(width) floats: each token waits for its row")
        }
        b.comment("RoPE: y1 = x1 cos - x2 sin, y2 = x2 cos + x1 sin per head, angles of the token's position")
        b.li(R.r7, vlen)
        b.li(R.r1, buffer, wide: true)
        b.li(R.r2, cos, wide: true)
        b.li(R.r3, sin, wide: true)
        // Rotates the row at x[r5] with the angles at x[r6], x[r8].
        func rotate(_ b: inout ProgramBuilder) {
            // One chunk per half: cos and sin stay in a2, a3 for every head.
            let oneChunk = half <= vlen
            if oneChunk {
                if half != vlen { b.li(R.r10, half); b.emit(.setvl, .reg(.zero), .reg(R.r10)) } else { b.emit(.setvl, .reg(.zero), .reg(R.r7)) }
                b.emit(.lda, .reg(.a(2)), .mem(R.r6, 0), note: "cos")
                b.emit(.lda, .reg(.a(3)), .mem(R.r8, 0), note: "sin")
            }
            b.repeatLoop(heads, counter: R.r9, "rope_heads") { b in
                for c in stride(from: 0, to: half, by: vlen) {
                    let lanes = min(vlen, half - c)
                    if !oneChunk {
                        if lanes != vlen { b.li(R.r10, lanes); b.emit(.setvl, .reg(.zero), .reg(R.r10)) } else { b.emit(.setvl, .reg(.zero), .reg(R.r7)) }
                    }
                    b.emit(.lda, .reg(.a(0)), .mem(R.r5, 4 * c), note: "x1")
                    b.emit(.lda, .reg(.a(1)), .mem(R.r5, 4 * (half + c)), note: "x2")
                    if !oneChunk {
                        b.emit(.lda, .reg(.a(2)), .mem(R.r6, 4 * c))
                        b.emit(.lda, .reg(.a(3)), .mem(R.r8, 4 * c))
                    }
                    b.emit(.fvmul, .reg(.a(4)), .reg(.a(0)), .reg(.a(2)))
                    b.emit(.fvmul, .reg(.a(5)), .reg(.a(1)), .reg(.a(3)))
                    b.emit(.fvsub, .reg(.a(4)), .reg(.a(4)), .reg(.a(5)), note: "x1 cos - x2 sin")
                    b.emit(.fvmul, .reg(.a(5)), .reg(.a(1)), .reg(.a(2)))
                    b.emit(.fvmul, .reg(.a(6)), .reg(.a(0)), .reg(.a(3)))
                    b.emit(.fvadd, .reg(.a(5)), .reg(.a(5)), .reg(.a(6)), note: "x2 cos + x1 sin")
                    b.emit(.sta, .reg(.a(4)), .mem(R.r5, 4 * c))
                    b.emit(.sta, .reg(.a(5)), .mem(R.r5, 4 * (half + c)))
                }
                b.addConstant(R.r5, 4 * headDim, scratch: R.r11)
            }
            b.emit(.setvl, .reg(.zero), .reg(R.r7), note: "vl = VLEN again (a ragged half set it lower)")
        }
        guard buffered else {
            b.li(R.r6, cosBuffer)
            b.li(R.r8, sinBuffer)
            b.repeatLoop(tokens, counter: R.r4, "rope") { b in
                b.transfer(.dmaa, dram: R.r1, sram: row, bytes: 4 * width)
                b.li(R.r15, 4 * half)
                b.emit(.dmaa, .reg(R.r6), .reg(R.r2), .reg(R.r15), note: "cos of this position")
                b.emit(.dmaa, .reg(R.r8), .reg(R.r3), .reg(R.r15), note: "sin of this position")
                b.emit(.dwait, .imm(0))
                b.li(R.r5, row)
                rotate(&b)
                b.transfer(.dmas, dram: R.r1, sram: row, bytes: 4 * width)
                b.addConstant(R.r1, 4 * width, scratch: R.r11)
                b.addConstant(R.r2, 4 * half, scratch: R.r11)
                b.addConstant(R.r3, 4 * half, scratch: R.r11)
            }
            if drains { b.emit(.dwait, .imm(0)) }
            return
        }
        // Requests the next token's row, cos and sin (x[r1], x[r2], x[r3], which advance) into
        // the set at offset x[r12] ^ set.
        func request(_ b: inout ProgramBuilder) {
            b.li(R.r13, set)
            b.emit(.xor, .reg(R.r11), .reg(R.r12), .reg(R.r13), note: "the other set")
            for (sram, dram, bytes, what) in [(row, R.r1, 4 * width, "the next token's row"), (cosBuffer, R.r2, 4 * half, "its cos"),
                                              (sinBuffer, R.r3, 4 * half, "its sin")] {
                b.li(R.r13, sram)
                b.emit(.add, .reg(R.r13), .reg(R.r13), .reg(R.r11))
                b.li(R.r15, bytes)
                b.emit(.dmaa, .reg(R.r13), .reg(dram), .reg(R.r15), note: what)
                b.addConstant(dram, bytes, scratch: R.r13)
            }
        }
        // A token: behind its inputs in the FIFO, the last token's result (or, for the first,
        // an empty transfer) and the next token's three requests, if any.
        func token(next: Bool, _ b: inout ProgramBuilder) {
            if next { request(&b) }
            b.emit(.dwait, .imm(next ? 4 : 1), note: "this token's row, cos and sin are in")
            b.li(R.r5, row); b.emit(.add, .reg(R.r5), .reg(R.r5), .reg(R.r12))
            b.li(R.r6, cosBuffer); b.emit(.add, .reg(R.r6), .reg(R.r6), .reg(R.r12))
            b.li(R.r8, sinBuffer); b.emit(.add, .reg(R.r8), .reg(R.r8), .reg(R.r12))
            rotate(&b)
            b.li(R.r13, row); b.emit(.add, .reg(R.r13), .reg(R.r13), .reg(R.r12))
            b.li(R.r15, 4 * width)
            b.emit(.dmas, .reg(R.r14), .reg(R.r13), .reg(R.r15), note: "this token's rotated row (no wait)")
            b.addConstant(R.r14, 4 * width, scratch: R.r13)
            b.li(R.r13, set)
            b.emit(.xor, .reg(R.r12), .reg(R.r12), .reg(R.r13), note: "the other set")
        }
        b.li(R.r14, buffer, wide: true)
        b.li(R.r12, set)
        request(&b)
        b.emit(.dmaa, .reg(.zero), .reg(.zero), .reg(.zero), note: "empty: the first token's inputs have one transfer behind them, as the last token's")
        b.li(R.r12, 0)
        b.repeatLoop(tokens - 1, counter: R.r4, "rope") { b in token(next: true, &b) }
        token(next: false, &b)
        if drains { b.emit(.dwait, .imm(0)) }
    }

    // MARK: KV cache

    /// Appends the tokens' keys and values (`[tokens, kvHeads * headDim]` float32) to the
    /// cache (`[kvHeads][capacity][headDim]` in `format`) at positions context ..< context + tokens.
    /// - Parameter drains: as for `rope`.
    func storeKV(tokens: Int, source: Int, cache: Int, kvHeads: Int, headDim: Int, capacity: Int, context: Int,
                 format: KVCacheFormat, drains: Bool = true, into b: inout ProgramBuilder) throws(CompileError) {
        let width = kvHeads * headDim, eb = format.bytes
        let row = Self.base, converted = Self.align(row + 4 * width)
        try requireActivationSRAM(converted + eb * width, config, for: "the KV cache write of \(kvHeads) heads of \(headDim)")
        // Several tokens at a time when their rows fit: one DMA in, and one out per head (a
        // head's positions are contiguous in the cache).
        let perToken = Self.align(4 * width) + eb * width
        let group = min(tokens, 16, (config.activationSRAM.size - Self.base - 64) / perToken)
        if format != .fp32 && tokens > 1 && group > 1 && 4 * headDim <= 32767 {
            storeKVGroups(tokens: tokens, group: group, source: source, cache: cache, kvHeads: kvHeads, headDim: headDim, capacity: capacity,
                          context: context, format: format, into: &b)
            if drains { b.emit(.dwait, .imm(0)) }
            return
        }
        if format != .fp32 && tokens > 1 {
            b.note("KV cache write: the activation SRAM has room for one token's keys or values at a time: one DMA per token and head")
        }
        b.li(R.r7, vlen)
        b.li(R.r1, source, wide: true)
        b.li(R.r2, cache + eb * context * headDim, wide: true)
        b.repeatLoop(tokens, counter: R.r3, "kv_write") { b in
            b.transfer(.dmaa, dram: R.r1, sram: row, bytes: 4 * width)
            b.emit(.dwait, .imm(0))
            var from = row
            if format != .fp32 {
                from = converted
                b.li(R.r5, row)
                b.li(R.r6, converted)
                b.chunks(width, vlen: vlen, vlenReg: R.r7, counter: R.r9, scratch: R.r10, "kv_round") { b in
                    b.emit(.lda, .reg(.a(0)), .mem(R.r5, 0))
                    b.emit(format == .bf16 ? .stbf : .sthf, .reg(.a(0)), .mem(R.r6, 0), note: "round to \(format.rawValue), nearest even")
                    b.addConstant(R.r5, 4 * vlen, scratch: R.r11)
                    b.addConstant(R.r6, 2 * vlen, scratch: R.r11)
                }
            }
            b.li(R.r15, eb * headDim)
            b.emit(.addi, .reg(R.r12), .reg(R.r2), .imm(0), note: "head 0 at this position")
            b.li(R.r14, from)
            b.repeatLoop(kvHeads, counter: R.r4, "kv_heads") { b in
                b.emit(.dmas, .reg(R.r12), .reg(R.r14), .reg(R.r15))
                b.addConstant(R.r12, eb * capacity * headDim, scratch: R.r13, note: "the next head's cache")
                b.addConstant(R.r14, eb * headDim, scratch: R.r13)
            }
            b.addConstant(R.r1, 4 * width, scratch: R.r11)
            b.addConstant(R.r2, eb * headDim, scratch: R.r11)
        }
        if drains { b.emit(.dwait, .imm(0)) }
    }

    /// `storeKV` for `group` tokens at a time: their float32 rows in with one DMA, converted
    /// into `[head][token][headDim]` order, each head's rows out with one DMA to its
    /// contiguous cache positions (the last group holds the rest of the tokens).
    private func storeKVGroups(tokens: Int, group: Int, source: Int, cache: Int, kvHeads: Int, headDim: Int, capacity: Int,
                               context: Int, format: KVCacheFormat, into b: inout ProgramBuilder) {
        let width = kvHeads * headDim, eb = format.bytes
        let row = Self.base, converted = Self.align(row + 4 * group * width)
        b.li(R.r7, vlen)
        b.emit(.setvl, .reg(.zero), .reg(R.r7), note: "the chunks below assume vl = VLEN")
        b.li(R.r1, source, wide: true)
        b.li(R.r2, cache + eb * context * headDim, wide: true)
        func body(_ n: Int, _ b: inout ProgramBuilder) {
            b.transfer(.dmaa, dram: R.r1, sram: row, bytes: 4 * n * width, note: "\(n) tokens' rows")
            b.emit(.dwait, .imm(0), note: "the rows are in and the last group's heads out")
            b.li(R.r9, row)
            b.li(R.r6, converted)
            b.repeatLoop(kvHeads, counter: R.r4, "kv_heads") { b in
                b.emit(.addi, .reg(R.r5), .reg(R.r9), .imm(0))
                b.repeatLoop(n, counter: R.r8, "kv_tokens") { b in
                    // The head's chunks: loads, then the rounding stores (each load's latency
                    // behind the next one's port cycles).
                    let starts = Array(stride(from: 0, to: headDim, by: vlen))
                    for part in stride(from: 0, to: starts.count, by: 4) {
                        let chunk = starts[part..<min(starts.count, part + 4)]
                        var lanes = vlen
                        func setLanes(_ c: Int, _ b: inout ProgramBuilder) {
                            let want = min(vlen, headDim - c)
                            if want != lanes {
                                if want == vlen { b.emit(.setvl, .reg(.zero), .reg(R.r7)) } else { b.li(R.r10, want); b.emit(.setvl, .reg(.zero), .reg(R.r10)) }
                                lanes = want
                            }
                        }
                        for (i, c) in chunk.enumerated() { setLanes(c, &b); b.emit(.lda, .reg(.a(i)), .mem(R.r5, 4 * c)) }
                        for (i, c) in chunk.enumerated() {
                            setLanes(c, &b)
                            b.emit(format == .bf16 ? .stbf : .sthf, .reg(.a(i)), .mem(R.r6, eb * c), note: "round to \(format.rawValue), nearest even")
                        }
                        if lanes != vlen { b.emit(.setvl, .reg(.zero), .reg(R.r7)) }
                    }
                    b.addConstant(R.r5, 4 * width, scratch: R.r11, note: "the next token's row")
                    b.addConstant(R.r6, eb * headDim, scratch: R.r11)
                }
                b.addConstant(R.r9, 4 * headDim, scratch: R.r11, note: "the next head")
            }
            b.li(R.r15, eb * n * headDim)
            b.emit(.addi, .reg(R.r12), .reg(R.r2), .imm(0), note: "head 0 at the group's first position")
            b.li(R.r14, converted)
            b.repeatLoop(kvHeads, counter: R.r4, "kv_out") { b in
                b.emit(.dmas, .reg(R.r12), .reg(R.r14), .reg(R.r15), note: "a head's rows of the group")
                b.addConstant(R.r12, eb * capacity * headDim, scratch: R.r13, note: "the next head's cache")
                b.addConstant(R.r14, eb * n * headDim, scratch: R.r13)
            }
            b.addConstant(R.r1, 4 * n * width, scratch: R.r11)
            b.addConstant(R.r2, eb * n * headDim, scratch: R.r11)
        }
        let groups = (tokens + group - 1) / group
        if groups > 1 {
            // A software loop over the full groups: the heads and tokens nest two hardware loops.
            b.li(R.r3, groups - 1)
            let top = b.label("kv_group")
            b.place(top)
            body(group, &b)
            b.emit(.addi, .reg(R.r3), .reg(R.r3), .imm(-1))
            b.emit(.bne, .reg(R.r3), .reg(.zero), .label(top), note: "next group of tokens")
        }
        body(tokens - (groups - 1) * group, &b)
    }

    // MARK: Element-wise

    enum Elementwise {
        /// out = a + b (the residual add).
        case add
        /// out = max(a, 0)^2 * b.
        case relu2Times
        /// out = (a / (1 + exp(-a))) * b.
        case siluTimes
    }

    /// `out[i] = f(a[i], b[i])` over `count` float32 elements, in pieces that fit the SRAM.
    func elementwise(_ op: Elementwise, count: Int, a: Int, b second: Int, out: Int, into b: inout ProgramBuilder) throws(CompileError) {
        // Two pairs of buffers of `piece` floats (double-buffered: the next piece's inputs
        // stream in while this one is computed and the last one's result streams out); each
        // buffer aligned, so leave 64 bytes per buffer for the alignment.
        let room = (config.activationSRAM.size - Self.base - 4 * 64) / 16 / vlen * vlen
        guard room >= vlen else { throw CompileError("an element-wise operation needs \(Self.base + 4 * 64 + 16 * vlen) bytes of activation SRAM but the machine has \(config.activationSRAM.size) (field activationSRAM.size)") }
        let piece = min(room, (count + vlen - 1) / vlen * vlen, 1024)
        let pieces = (count + piece - 1) / piece, last = count - (pieces - 1) * piece
        let bufferA = [Self.base, Self.align(Self.base + 4 * piece)]
        let bufferB = [Self.align(bufferA[1] + 4 * piece), Self.align(bufferA[1] + 8 * piece)]
        b.li(R.r7, vlen)
        b.li(R.r1, a, wide: true)
        b.li(R.r2, second, wide: true)
        b.li(R.r3, out, wide: true)
        if op == .siluTimes {
            b.li(R.r12, float: -1)
            b.li(R.r4, float: 1)
        }
        b.li(R.r14, count, note: "floats not yet requested")
        // Requests the next piece (min(piece, x[r14]) floats) into the buffers x[r5] ^ toggle.
        func request(_ b: inout ProgramBuilder) {
            b.li(R.r15, piece)
            b.emit(.min, .reg(R.r15), .reg(R.r15), .reg(R.r14))
            b.emit(.sub, .reg(R.r14), .reg(R.r14), .reg(R.r15))
            b.emit(.slli, .reg(R.r15), .reg(R.r15), .imm(2), note: "bytes")
            b.li(R.r13, bufferA[0] ^ bufferA[1])
            b.emit(.xor, .reg(R.r13), .reg(R.r5), .reg(R.r13))
            b.emit(.dmaa, .reg(R.r13), .reg(R.r1), .reg(R.r15), note: "the next piece of a")
            b.li(R.r13, bufferB[0] ^ bufferB[1])
            b.emit(.xor, .reg(R.r13), .reg(R.r6), .reg(R.r13))
            b.emit(.dmaa, .reg(R.r13), .reg(R.r2), .reg(R.r15), note: "the next piece of b")
            b.emit(.add, .reg(R.r1), .reg(R.r1), .reg(R.r15))
            b.emit(.add, .reg(R.r2), .reg(R.r2), .reg(R.r15))
        }
        // Chunks in groups (three, or two for SiLU's three registers a chunk): each stage of
        // the group's chunks back to back, so one chunk's latencies pass during the others'.
        let group = op == .siluTimes ? 2 : 3
        func compute(_ n: Int, _ b: inout ProgramBuilder) {
            b.emit(.addi, .reg(R.r10), .reg(R.r5), .imm(0))
            b.emit(.addi, .reg(R.r11), .reg(R.r6), .imm(0))
            b.chunkGroups(n, group: group, vlen: vlen, vlenReg: R.r7, counter: R.r9, scratch: R.r13, "elementwise") { b, k in
                let x = (0..<k).map { Reg.a($0) }, y = (0..<k).map { Reg.a(k + $0) }, t = (0..<k).map { Reg.a(2 * k + $0) }
                for (i, a) in x.enumerated() { b.emit(.lda, .reg(a), .mem(R.r10, 4 * vlen * i)) }
                for (i, a) in y.enumerated() { b.emit(.lda, .reg(a), .mem(R.r11, 4 * vlen * i)) }
                switch op {
                case .add:
                    for (g, u) in zip(x, y) { b.emit(.fvadd, .reg(g), .reg(g), .reg(u)) }
                case .relu2Times:
                    for g in x { b.emit(.fmaxs, .reg(g), .reg(g), .reg(.zero), note: "relu: max(g, +0.0)") }
                    for g in x { b.emit(.fvmul, .reg(g), .reg(g), .reg(g), note: "squared") }
                    for (g, u) in zip(x, y) { b.emit(.fvmul, .reg(g), .reg(g), .reg(u), note: "* up") }
                case .siluTimes:
                    for (g, e) in zip(x, t) { b.emit(.fmuls, .reg(e), .reg(g), .reg(R.r12), note: "-g") }
                    for e in t { b.emit(.fexp, .reg(e), .reg(e)) }
                    for e in t { b.emit(.fadds, .reg(e), .reg(e), .reg(R.r4), note: "1 + exp(-g)") }
                    for (g, e) in zip(x, t) { b.emit(.fvdiv, .reg(g), .reg(g), .reg(e), note: "silu(g) = g / (1 + exp(-g))") }
                    for (g, u) in zip(x, y) { b.emit(.fvmul, .reg(g), .reg(g), .reg(u), note: "* up") }
                }
                for (i, a) in x.enumerated() { b.emit(.sta, .reg(a), .mem(R.r10, 4 * vlen * i)) }
                b.addConstant(R.r10, 4 * vlen * k, scratch: R.r13)
                b.addConstant(R.r11, 4 * vlen * k, scratch: R.r13)
            }
            b.li(R.r15, 4 * n)
            b.emit(.dmas, .reg(R.r3), .reg(R.r5), .reg(R.r15), note: "this piece's result")
            b.emit(.add, .reg(R.r3), .reg(R.r3), .reg(R.r15))
        }
        // Pieces 0 and 1 are requested first (a request goes to the pair after x[r5]), then an
        // empty transfer; every piece then writes its result and requests the piece after the
        // next (empty transfers past the end) into its own pair, behind that result. So the
        // FIFO behind piece k's inputs holds exactly three transfers (the last result or the
        // empty one, the next piece's two) and `dwait 3` waits for piece k alone.
        b.li(R.r5, bufferA[1]); b.li(R.r6, bufferB[1])
        request(&b)
        b.li(R.r5, bufferA[0]); b.li(R.r6, bufferB[0])
        request(&b)
        b.emit(.dmaa, .reg(.zero), .reg(.zero), .reg(.zero), note: "empty: three transfers behind piece 0")
        b.li(R.r5, bufferA[0]); b.li(R.r6, bufferB[0])
        func step(_ n: Int, _ b: inout ProgramBuilder) {
            b.emit(.dwait, .imm(3), note: "this piece is in")
            compute(n, &b)
            // The piece after the next goes to this pair: request into the pair after the other.
            b.li(R.r13, bufferA[0] ^ bufferA[1])
            b.emit(.xor, .reg(R.r5), .reg(R.r5), .reg(R.r13))
            b.li(R.r13, bufferB[0] ^ bufferB[1])
            b.emit(.xor, .reg(R.r6), .reg(R.r6), .reg(R.r13))
            request(&b)
        }
        b.repeatLoop(pieces - 1, counter: R.r8, "pieces") { b in step(piece, &b) }
        step(last, &b)
        b.emit(.dwait, .imm(0))
    }
}
