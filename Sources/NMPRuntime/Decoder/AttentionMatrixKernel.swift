import Foundation
import NMPISA
import NMPSimulator

/// Causal grouped-query attention over a 16-bit KV cache with the float matrix products
/// (ISA.md 11.2 step 5, 11.5): the cached keys and values stream through a ring of three
/// weight-SRAM buffers, two blocks always in flight, and are used where the DMA put them.
///
/// Per query token, per KV head: for every block of keys, each query head of the group
/// multiplies its query (one chunk of VLEN features per register) by the block's keys,
/// ROWS keys per `fmvbf` (`fmvhf`), and scales the ROWS scores; after the last block a
/// softmax over each head's row of scores leaves e^(s - max) and 1 / sum; then for every
/// block of values each head multiplies its probabilities (e times 1 / sum, ROWS at a time)
/// by the block's values with `fvmbf` (`fvmhf`), accumulating its output. The block stream
/// (K of head 0, V of head 0, K of head 1, ...) runs ahead of the consumer: every block is
/// two transfers (its rows, then zero rows up to a multiple of ROWS for a value block's
/// ragged end, or an empty transfer), so `dwait 2` at a block's top waits for exactly it.
struct AttentionMatrixPlan: Sendable {
    let tokens: Int, context: Int, capacity: Int
    let heads: Int, kvHeads: Int, headDim: Int
    let format: KVCacheFormat
    let config: MachineConfig
    var group: Int { heads / kvHeads }
    var rowBytes: Int { 2 * headDim }
    var chunks: Int { (headDim + config.vlen - 1) / config.vlen }
    /// Tiles computed together (independent accumulators hide each product's latency): 4
    /// when the query chunks leave room for them, else 2.
    var scoreGroup: Int { chunks + 4 <= 8 ? 4 : 2 }
    /// Keys per weight-SRAM block (a multiple of ROWS) and the ring's buffers.
    let blockKeys: Int
    func buffer(_ i: Int) -> Int { i * blockKeys * rowBytes }
    /// Keys in the token's first block (a multiple of ROWS): short, since nothing overlaps
    /// its arrival.
    var firstBlockKeys: Int { min(blockKeys, 2 * config.rows) }
    // Activation-SRAM layout: spill words, 1 / sum per head, the token's query and output
    // rows, the group's score rows.
    let inverses = 128   // after the kernel's spill words (AttentionMatrixKernel.Spill)
    let queryRow: Int
    let outputRow: Int
    let scores: Int
    let scoreStride: Int

    /// The plan, or nil when this machine needs the lane-wise kernel (`AttentionPlan`),
    /// with the reason.
    static func make(tokens: Int, context: Int, capacity: Int, heads: Int, kvHeads: Int, headDim: Int,
                     format: KVCacheFormat, config: MachineConfig) -> (plan: AttentionMatrixPlan?, reason: String?) {
        guard format != .fp32 else { return (nil, "an fp32 KV cache uses the lane-wise attention kernel") }
        let plan = AttentionMatrixPlan(tokens: tokens, context: context, capacity: capacity, heads: heads, kvHeads: kvHeads,
                                       headDim: headDim, format: format, config: config)
        if let reason = plan.unfit { return (nil, reason) }
        return (plan, nil)
    }

    private init(tokens: Int, context: Int, capacity: Int, heads: Int, kvHeads: Int, headDim: Int, format: KVCacheFormat,
                 config: MachineConfig) {
        self.tokens = tokens; self.context = context; self.capacity = capacity
        self.heads = heads; self.kvHeads = kvHeads; self.headDim = headDim
        self.format = format; self.config = config
        let rows = config.rows, width = heads * headDim
        let maxKeys = context + tokens
        let paddedKeys = (maxKeys + rows - 1) / rows * rows
        let ring = config.weightSRAM.size / (3 * 2 * headDim) / rows * rows
        blockKeys = min(paddedKeys, ring)
        queryRow = AttentionPlan.align(inverses + 4 * heads)
        outputRow = AttentionPlan.align(queryRow + 4 * width)
        scores = AttentionPlan.align(outputRow + 4 * width)
        scoreStride = AttentionPlan.align(4 * (paddedKeys + config.vlen))
    }

    /// Why the machine cannot run this kernel, or nil.
    private var unfit: String? {
        let vlen = config.vlen
        if chunks + 2 > 8 { return "head_dim \(headDim) needs \(chunks) accumulators per query at VLEN \(vlen), and two more for pairs of tiles" }
        if blockKeys < config.rows {
            return "the weight SRAM holds no three blocks of \(config.rows) cached rows (\(3 * config.rows * rowBytes) bytes)"
        }
        if scores + group * scoreStride > config.activationSRAM.size {
            return "the \(group) score rows of a KV head (\(group * scoreStride) bytes) do not fit the activation SRAM beside the query and output rows"
        }
        if 4 * heads * headDim > 32767 || group * scoreStride > 32767 || rowBytes * config.rows * blockKeys > Int(Int32.max) {
            return "the rows are too wide for the compiler's 16-bit offsets"
        }
        return nil
    }
}

struct AttentionMatrixKernel {
    let plan: AttentionMatrixPlan

    private enum Spill: Int {
        case keys, tokensLeft, queryAddress, outputAddress, producerAddress, producerRowsLeft, producerRanges,
             producerIsValue, producerBuffer, blockRows, blockKey, kvLeft, groupRow, headRow, producerBlock, consumerBlock
    }
    private func spill(_ slot: Spill) -> Operand { .mem(.zero, 4 * slot.rawValue) }

    private var scoreOp: Opcode { plan.format == .bf16 ? .fmvbf : .fmvhf }
    private var valueOp: Opcode { plan.format == .bf16 ? .fvmbf : .fvmhf }

    /// Emits the kernel; `zeros` is a DRAM region of ROWS zero cache rows.
    func emit(query: Int, keyCache: Int, valueCache: Int, output: Int, zeros: Int,
              regions: (scores: String, softmax: String, values: String), into b: inout ProgramBuilder) {
        let p = plan, vlen = p.config.vlen, rows = p.config.rows
        let width = p.heads * p.headDim
        let scaling = Float(Foundation.pow(Double(p.headDim), -0.5))   // HF: self.head_dim**-0.5
        b.enterRegion(regions.scores)
        b.comment("attention (matrix products): \(p.heads) query heads over \(p.kvHeads) KV head(s), blocks of \(p.blockKeys) cached rows in a three-buffer ring")
        let tokenTop = b.attentionTokenStart(keys: p.context + 1, tokens: p.tokens, query: query, output: output, queryRow: p.queryRow,
                                             width: width, spills: (spill(.keys), spill(.queryAddress), spill(.outputAddress),
                                                                    spill(.tokensLeft)),
                                             waits: false, "mattn_token")
        // No wait for the query: the first block's `dwait 2` is behind it in the FIFO (with
        // the last token's output), and the query is read only after it.
        // The producer starts at head 0's keys: 2 * kvHeads ranges of `keys` rows each.
        b.li(R.r3, keyCache, wide: true); b.emit(.sw, .reg(R.r3), spill(.producerAddress))
        b.emit(.lw, .reg(R.r3), spill(.keys)); b.emit(.sw, .reg(R.r3), spill(.producerRowsLeft))
        b.li(R.r3, 2 * p.kvHeads); b.emit(.sw, .reg(R.r3), spill(.producerRanges))
        b.emit(.sw, .reg(.zero), spill(.producerIsValue))
        b.emit(.sw, .reg(.zero), spill(.producerBuffer))
        // The token's first block is short (it arrives before anything can overlap it).
        b.li(R.r3, p.firstBlockKeys)
        b.emit(.sw, .reg(R.r3), spill(.producerBlock))
        b.emit(.sw, .reg(R.r3), spill(.consumerBlock))
        produce(keyCache: keyCache, valueCache: valueCache, zeros: zeros, into: &b)
        produce(keyCache: keyCache, valueCache: valueCache, zeros: zeros, into: &b)
        b.li(R.r10, p.buffer(0), note: "the consumer's buffer")
        b.li(R.r3, p.queryRow); b.emit(.sw, .reg(R.r3), spill(.groupRow))
        b.li(R.r3, p.kvHeads); b.emit(.sw, .reg(R.r3), spill(.kvLeft))
        let kvTop = b.label("mattn_kv")
        b.place(kvTop)

        // Scores: per block of keys, every head of the group, ROWS keys per product.
        b.enterRegion(regions.scores)
        blocks(name: "mattn_kblock", keyCache: keyCache, valueCache: valueCache, zeros: zeros, into: &b) { b in
            b.emit(.lw, .reg(R.r4), spill(.groupRow))
            blockScores(into: &b)
            b.li(R.r9, float: scaling, note: "head_dim^-0.5")
            b.li(R.r8, p.rowBytes, note: "row stride")
            b.li(R.r13, rows); b.li(R.r14, vlen)
            headLoops("mattn_sheads", into: &b, tiles: { b, n in scoreTiles(n, into: &b) }) { b, tiles in
                if headChunks(.lda, "query", into: &b) != vlen { b.emit(.setvl, .reg(.zero), .reg(R.r14)) }
                b.emit(.addi, .reg(R.r6), .reg(R.r10), .imm(0), note: "the block's first key")
                b.emit(.addi, .reg(R.r7), .reg(R.r5), .imm(0))
                tiles(&b)
                b.emit(.addi, .reg(R.r4), .reg(R.r4), .imm(4 * p.headDim))
                b.addConstant(R.r5, p.scoreStride, scratch: R.r12)
            }
        }

        // Softmax of each head's row: e = exp(s - max) in place, 1 / sum kept; zeros after
        // the last key up to a multiple of ROWS (the value products read whole tiles).
        b.enterRegion(regions.softmax)
        // The rows of up to four heads at a time, their latencies overlapping.
        b.li(R.r7, vlen)
        for first in stride(from: 0, to: p.group, by: 4) {
            let heads = min(4, p.group - first), row = p.scores + first * p.scoreStride
            b.emit(.lw, .reg(R.r2), spill(.keys))
            let inverses = b.softmaxExponentials(rows: heads, row: row, stride: p.scoreStride, count: R.r2, vlenReg: R.r7, vlen: vlen, "m")
            // The zeros before the stores of 1 / sum: they do not wait for the divides.
            b.li(R.r12, rows)
            b.emit(.setvl, .reg(.zero), .reg(R.r12))
            b.emit(.azero, .reg(.a(0)))
            b.emit(.slli, .reg(R.r13), .reg(R.r2), .imm(2))
            b.li(R.r4, row)
            b.emit(.add, .reg(R.r4), .reg(R.r4), .reg(R.r13))
            for h in 0..<heads { b.emit(.sta, .reg(.a(0)), .mem(R.r4, h * p.scoreStride), note: "zeros after the last key") }
            b.emit(.setvl, .reg(.zero), .reg(R.r7))
            for (h, inverse) in inverses.enumerated() { b.emit(.sw, .reg(inverse), .mem(.zero, p.inverses + 4 * (first + h))) }
        }

        // Values: outputs start at +0.0; per block of values, every head of the group.
        b.enterRegion(regions.values)
        b.emit(.lw, .reg(R.r4), spill(.groupRow))
        b.li(R.r12, p.outputRow - p.queryRow)
        b.emit(.add, .reg(R.r4), .reg(R.r4), .reg(R.r12), note: "the group's output rows")
        b.li(R.r12, vlen); b.emit(.setvl, .reg(.zero), .reg(R.r12))
        b.emit(.azero, .reg(.a(0)))
        for h in 0..<p.group {
            for c in 0..<p.chunks {
                setLanes(chunk: c, into: &b)
                b.emit(.sta, .reg(.a(0)), .mem(R.r4, 4 * (h * p.headDim + c * vlen)), note: "output = +0.0")
            }
        }
        blocks(name: "mattn_vblock", keyCache: keyCache, valueCache: valueCache, zeros: zeros, into: &b) { b in
            b.emit(.lw, .reg(R.r4), spill(.groupRow))
            b.li(R.r12, p.outputRow - p.queryRow)
            b.emit(.add, .reg(R.r4), .reg(R.r4), .reg(R.r12))
            blockScores(into: &b)
            b.li(R.r8, p.rowBytes, note: "row stride")
            b.li(R.r11, p.inverses)
            b.li(R.r13, rows); b.li(R.r14, vlen)
            headLoops("mattn_vheads", into: &b, tiles: { b, n in valueTiles(n, into: &b) }) { b, tiles in
                headChunks(.lda, "output", into: &b)
                b.emit(.lw, .reg(R.r9), .mem(R.r11, 0), note: "1 / sum of this head")
                b.emit(.addi, .reg(R.r6), .reg(R.r10), .imm(0), note: "the block's first value row")
                b.emit(.addi, .reg(R.r7), .reg(R.r5), .imm(0))
                b.emit(.setvl, .reg(.zero), .reg(R.r13))
                b.emit(.sw, .reg(R.r4), spill(.headRow), note: "r4 becomes a tile base")
                tiles(&b)
                b.emit(.lw, .reg(R.r4), spill(.headRow))
                headChunks(.sta, "output", into: &b)
                b.emit(.addi, .reg(R.r4), .reg(R.r4), .imm(4 * p.headDim))
                b.addConstant(R.r5, p.scoreStride, scratch: R.r12)
                b.emit(.addi, .reg(R.r11), .reg(R.r11), .imm(4))
            }
        }
        b.li(R.r12, vlen); b.emit(.setvl, .reg(.zero), .reg(R.r12))
        b.emit(.lw, .reg(R.r3), spill(.groupRow))
        b.addConstant(R.r3, 4 * p.group * p.headDim, scratch: R.r12)
        b.emit(.sw, .reg(R.r3), spill(.groupRow))
        b.emit(.lw, .reg(R.r3), spill(.kvLeft))
        b.emit(.addi, .reg(R.r3), .reg(R.r3), .imm(-1))
        b.emit(.sw, .reg(R.r3), spill(.kvLeft))
        b.emit(.bne, .reg(R.r3), .reg(.zero), .label(kvTop))

        // The output leaves without a wait: the next token writes the row only in its values
        // stage, after waiting for blocks requested behind it.
        b.attentionTokenEnd(outputRow: p.outputRow, width: width, queryAddress: spill(.queryAddress), outputAddress: spill(.outputAddress),
                            keys: spill(.keys), tokensLeft: spill(.tokensLeft), waits: false, next: tokenTop)
        b.emit(.dwait, .imm(0), note: "the last output and the stream's last (empty) transfers")
    }

    /// The loop over the group's heads (r3 = its count), `head` emitting one head with the
    /// block's x[r2] tiles where it calls its second argument: a version of the loop for each
    /// count from 1 to `scoreGroup`, its tiles straight (`body(n)`; the count is the block's,
    /// so it is chosen once per block, not per head), and the general one (`tiles`) for larger
    /// counts. Tiles add in the same order either way.
    private func headLoops(_ name: String, into b: inout ProgramBuilder, tiles body: @escaping (inout ProgramBuilder, Int) -> Void,
                           _ head: (inout ProgramBuilder, (inout ProgramBuilder) -> Void) -> Void) {
        let counts = Array(1...plan.scoreGroup)
        let end = b.label(name + "_end"), versions = counts.map { b.label(name + "_\($0)") }
        for (n, version) in zip(counts, versions) {
            b.li(R.r12, n)
            b.emit(.beq, .reg(R.r2), .reg(R.r12), .label(version), note: "\(n) tile(s) in this block")
        }
        func loop(_ tiles: @escaping (inout ProgramBuilder) -> Void, _ b: inout ProgramBuilder) {
            b.li(R.r3, plan.group)
            b.loop(R.r3, name) { b in head(&b, tiles) }
        }
        loop({ b in self.tiles(group: self.plan.scoreGroup, name: name + "_tiles", into: &b, body) }, &b)
        for (n, version) in zip(counts, versions) {
            b.emit(.jal, .reg(.zero), .label(end))
            b.place(version)
            loop({ b in body(&b, n) }, &b)
        }
        b.place(end)
    }

    /// x[r2] tiles in groups of `group` (a hardware loop over the full groups), then the
    /// rest by powers of two (branches on the bits of x[r2]); `body` emits n tiles.
    private func tiles(group: Int, name: String, into b: inout ProgramBuilder, _ body: (inout ProgramBuilder, Int) -> Void) {
        let shift = group.trailingZeroBitCount
        b.emit(.srli, .reg(R.r3), .reg(R.r2), .imm(shift))
        b.loop(R.r3, name) { b in body(&b, group) }
        var n = group / 2
        while n >= 1 {
            let skip = b.label(name + "_skip")
            b.emit(.andi, .reg(R.r3), .reg(R.r2), .imm(n))
            b.emit(.beq, .reg(R.r3), .reg(.zero), .label(skip))
            body(&b, n)
            b.place(skip)
            n /= 2
        }
    }

    /// Tile `i`'s base register (the first is the running pointer): r11 is free in the
    /// score loop, r4 (saved) in the value loop.
    private static let scoreBases = [R.r6, R.r1, R.r15, R.r11], valueBases = [R.r6, R.r1, R.r15, R.r4]

    /// `count` (1 ... `scoreGroup`) tiles of ROWS keys at x[r6], x[r6] + ROWS rows, ... times the
    /// query chunks in a1 ...: scores into a0 and the registers after the chunks, scaled
    /// and stored at x[r7]; r6 and r7 advance past them. vl = VLEN before and after; r13 =
    /// ROWS, r14 = VLEN, r8 = the row stride, r9 = the scaling.
    private func scoreTiles(_ count: Int, into b: inout ProgramBuilder) {
        let p = plan, vlen = p.config.vlen, rows = p.config.rows
        let accumulators = ([Reg.a(0)] + (0..<3).map { .a(1 + p.chunks + $0) }).prefix(count), bases = Self.scoreBases.prefix(count)
        tileBases(bases, into: &b)
        for a in accumulators { b.emit(.azero, .reg(a)) }
        var lanes = vlen
        for c in 0..<p.chunks {
            if c > 0 { for base in bases { b.emit(.addi, .reg(base), .reg(base), .imm(2 * vlen)) } }
            lanes = setLanes(chunk: c, from: lanes, into: &b)
            for (a, base) in zip(accumulators, bases) {
                b.emit(scoreOp, .reg(a), .reg(.a(1 + c)), .reg(base), .reg(R.r8), note: "ROWS keys . query chunk \(c)")
            }
        }
        b.emit(.setvl, .reg(.zero), .reg(R.r13))
        for a in accumulators { b.emit(.fmuls, .reg(a), .reg(a), .reg(R.r9), note: "* scaling") }
        for (i, a) in accumulators.enumerated() { b.emit(.sta, .reg(a), .mem(R.r7, 4 * rows * i)) }
        b.emit(.setvl, .reg(.zero), .reg(R.r14))
        b.addConstant(R.r6, count * rows * p.rowBytes - 2 * vlen * (p.chunks - 1), scratch: R.r12)
        b.emit(.addi, .reg(R.r7), .reg(R.r7), .imm(4 * rows * count))
    }

    /// x[r6] + i * ROWS rows into `bases[i]` for the tiles after the first.
    private func tileBases(_ bases: ArraySlice<Reg>, into b: inout ProgramBuilder) {
        let p = plan
        for (i, base) in bases.enumerated().dropFirst() {
            b.li(base, i * p.config.rows * p.rowBytes)
            b.emit(.add, .reg(base), .reg(base), .reg(R.r6), note: "tile \(i)")
        }
    }

    /// `count` (1 ... `scoreGroup`) tiles of ROWS values at x[r6], ...: each tile's e at x[r7] times
    /// x[r9] (1 / sum) as probabilities, its products added to the output chunks a1 ...; r6
    /// and r7 advance. vl = ROWS before and after.
    private func valueTiles(_ count: Int, into b: inout ProgramBuilder) {
        let p = plan, vlen = p.config.vlen, rows = p.config.rows
        let probabilities = ([Reg.a(0)] + (0..<3).map { .a(1 + p.chunks + $0) }).prefix(count), bases = Self.valueBases.prefix(count)
        tileBases(bases, into: &b)
        for (i, a) in probabilities.enumerated() { b.emit(.lda, .reg(a), .mem(R.r7, 4 * rows * i), note: "e of ROWS keys") }
        for a in probabilities { b.emit(.fmuls, .reg(a), .reg(a), .reg(R.r9), note: "probabilities: e * (1 / sum)") }
        var lanes = rows
        for (a, base) in zip(probabilities, bases) {
            for c in 0..<p.chunks {
                if c > 0 { b.emit(.addi, .reg(base), .reg(base), .imm(2 * vlen)) }
                lanes = setLanes(chunk: c, from: lanes, into: &b)
                b.emit(valueOp, .reg(.a(1 + c)), .reg(a), .reg(base), .reg(R.r8), note: "output chunk \(c) += probabilities . values")
            }
        }
        b.emit(.setvl, .reg(.zero), .reg(R.r13))
        b.addConstant(R.r6, count * rows * p.rowBytes - 2 * vlen * (p.chunks - 1), scratch: R.r12)
        b.emit(.addi, .reg(R.r7), .reg(R.r7), .imm(4 * rows * count))
    }

    /// r5 = the first score (or e) of this block in head 0's row: scores + 4 * blockKey.
    private func blockScores(into b: inout ProgramBuilder) {
        b.li(R.r5, plan.scores)
        b.emit(.lw, .reg(R.r3), spill(.blockKey))
        b.emit(.slli, .reg(R.r3), .reg(R.r3), .imm(2))
        b.emit(.add, .reg(R.r5), .reg(R.r5), .reg(R.r3), note: "this block's first score of head 0")
    }

    /// `op` (`lda` or `sta`) of a head's row at x[r4], a chunk of VLEN features per register
    /// a1, a2, ..., in a head loop (r13 = ROWS, r14 = VLEN): vl is set once and again only
    /// for a ragged last chunk. Returns the vl it leaves.
    @discardableResult
    private func headChunks(_ op: Opcode, _ what: String, into b: inout ProgramBuilder) -> Int {
        var lanes = -1
        for c in 0..<plan.chunks {
            lanes = setLanes(chunk: c, from: lanes, into: &b)
            b.emit(op, .reg(.a(1 + c)), .mem(R.r4, 4 * c * plan.config.vlen), note: "\(what) chunk \(c)")
        }
        return lanes
    }

    /// vl = the lanes of chunk `c` of a head (VLEN but for a ragged last chunk).
    private func setLanes(chunk c: Int, into b: inout ProgramBuilder) {
        let vlen = plan.config.vlen
        b.li(R.r12, min(vlen, plan.headDim - c * vlen))
        b.emit(.setvl, .reg(.zero), .reg(R.r12))
    }

    /// Like `setLanes(chunk:into:)` inside a tile loop, where r13 = ROWS and r14 = VLEN:
    /// nothing when vl is already right. Returns the new vl.
    private func setLanes(chunk c: Int, from current: Int, into b: inout ProgramBuilder) -> Int {
        let p = plan, vlen = p.config.vlen
        let lanes = min(vlen, p.headDim - c * vlen)
        if lanes == current { return lanes }
        if lanes == vlen {
            b.emit(.setvl, .reg(.zero), .reg(R.r14))
        } else if lanes == p.config.rows {
            b.emit(.setvl, .reg(.zero), .reg(R.r13))
        } else {
            b.li(R.r12, lanes)
            b.emit(.setvl, .reg(.zero), .reg(R.r12))
        }
        return lanes
    }

    /// A software loop over the blocks of one range (the current head's keys or values):
    /// per block, wait for it, let the producer enqueue the block after the next, set r2 =
    /// its tiles and the spill `blockKey` = its first key, run `body` on buffer x[r10], and
    /// move r10 to the next buffer of the ring.
    private func blocks(name: String, keyCache: Int, valueCache: Int, zeros: Int, into b: inout ProgramBuilder,
                        _ body: (inout ProgramBuilder) -> Void) {
        let p = plan, rows = p.config.rows
        b.emit(.sw, .reg(.zero), spill(.blockKey))
        let top = b.label(name)
        b.place(top)
        b.emit(.dwait, .imm(2), note: "behind this block: the next one's two transfers")
        produce(keyCache: keyCache, valueCache: valueCache, zeros: zeros, into: &b)
        // Rows of this block: min(its size, keys - blockKey); tiles: ceil(rows / ROWS).
        b.emit(.lw, .reg(R.r2), spill(.keys))
        b.emit(.lw, .reg(R.r3), spill(.blockKey))
        b.emit(.sub, .reg(R.r2), .reg(R.r2), .reg(R.r3))
        b.emit(.lw, .reg(R.r12), spill(.consumerBlock))
        b.emit(.min, .reg(R.r2), .reg(R.r2), .reg(R.r12))
        b.emit(.sw, .reg(R.r2), spill(.blockRows))
        b.emit(.addi, .reg(R.r2), .reg(R.r2), .imm(rows - 1))
        if rows.nonzeroBitCount == 1 {
            b.emit(.srli, .reg(R.r2), .reg(R.r2), .imm(rows.trailingZeroBitCount), note: "tiles of ROWS keys (a shift: no divide's latency)")
        } else {
            b.li(R.r12, rows)
            b.emit(.divu, .reg(R.r2), .reg(R.r2), .reg(R.r12), note: "tiles of ROWS keys")
        }
        body(&b)
        b.emit(.lw, .reg(R.r3), spill(.blockKey))
        b.emit(.lw, .reg(R.r12), spill(.blockRows))
        b.emit(.add, .reg(R.r3), .reg(R.r3), .reg(R.r12))
        b.emit(.sw, .reg(R.r3), spill(.blockKey))
        b.li(R.r12, p.blockKeys)
        b.emit(.sw, .reg(R.r12), spill(.consumerBlock), note: "every block after the token's first is whole")
        b.ringBuffer(R.r10, from: R.r10, steps: 1, buffer: p.buffer(1), scratch: R.r12, name + "_ring")
        b.emit(.lw, .reg(R.r12), spill(.keys))
        b.emit(.lw, .reg(R.r3), spill(.blockKey))
        b.emit(.bltu, .reg(R.r3), .reg(R.r12), .label(top), note: "keys left in this range")
    }

    /// target = x[rows] * the bytes of a cached row: a shift when that is a power of two,
    /// else a multiply (uses r13).
    private func rowBytes(_ target: Reg, of rows: Reg, into b: inout ProgramBuilder) {
        if plan.rowBytes.nonzeroBitCount == 1 {
            b.emit(.slli, .reg(target), .reg(rows), .imm(plan.rowBytes.trailingZeroBitCount), note: "bytes")
        } else {
            b.li(R.r13, plan.rowBytes)
            b.emit(.mul, .reg(target), .reg(rows), .reg(R.r13), note: "bytes")
        }
    }

    /// The producer: enqueues the next block of the stream (K of head 0, V of head 0, K of
    /// head 1, ...) into its buffer as two transfers: the block's rows, then zero rows up to
    /// a multiple of ROWS for a value block (an empty transfer otherwise); two empty
    /// transfers once the stream has ended. Uses r12 ... r15.
    private func produce(keyCache: Int, valueCache: Int, zeros: Int, into b: inout ProgramBuilder) {
        let p = plan, rows = p.config.rows
        let done = b.label("mattn_pdone"), end = b.label("mattn_pend")
        b.emit(.lw, .reg(R.r12), spill(.producerRanges))
        b.emit(.beq, .reg(R.r12), .reg(.zero), .label(done))
        b.emit(.lw, .reg(R.r14), spill(.producerRowsLeft))
        b.emit(.lw, .reg(R.r13), spill(.producerBlock))
        b.emit(.min, .reg(R.r14), .reg(R.r14), .reg(R.r13), note: "rows of this block")
        b.li(R.r13, p.blockKeys)
        b.emit(.sw, .reg(R.r13), spill(.producerBlock), note: "every block after the token's first is whole")
        b.emit(.lw, .reg(R.r13), spill(.producerRowsLeft))
        b.emit(.sub, .reg(R.r13), .reg(R.r13), .reg(R.r14))
        b.emit(.sw, .reg(R.r13), spill(.producerRowsLeft))
        rowBytes(R.r15, of: R.r14, into: &b)
        b.emit(.lw, .reg(R.r12), spill(.producerBuffer))
        b.emit(.lw, .reg(R.r13), spill(.producerAddress))
        b.emit(.dmaw, .reg(R.r12), .reg(R.r13), .reg(R.r15), note: "a block of cached rows")
        b.emit(.add, .reg(R.r13), .reg(R.r13), .reg(R.r15))
        b.emit(.sw, .reg(R.r13), spill(.producerAddress))
        // The zero rows after a value block's last row: (-rows mod ROWS) rows.
        b.emit(.add, .reg(R.r12), .reg(R.r12), .reg(R.r15), note: "after the block's rows")
        b.emit(.addi, .reg(R.r15), .reg(R.r14), .imm(rows - 1))
        if rows.nonzeroBitCount == 1 {
            b.emit(.srli, .reg(R.r15), .reg(R.r15), .imm(rows.trailingZeroBitCount))
            b.emit(.slli, .reg(R.r15), .reg(R.r15), .imm(rows.trailingZeroBitCount), note: "rows rounded up to a multiple of ROWS")
        } else {
            b.li(R.r13, rows)
            b.emit(.divu, .reg(R.r15), .reg(R.r15), .reg(R.r13))
            b.emit(.mul, .reg(R.r15), .reg(R.r15), .reg(R.r13), note: "rows rounded up to a multiple of ROWS")
        }
        b.emit(.sub, .reg(R.r14), .reg(R.r15), .reg(R.r14), note: "rows to fill with zeros")
        b.emit(.lw, .reg(R.r13), spill(.producerIsValue))
        b.emit(.and, .reg(R.r14), .reg(R.r14), .reg(R.r13), note: "zero rows only after values (the flag is all ones)")
        rowBytes(R.r15, of: R.r14, into: &b)
        b.li(R.r13, zeros, wide: true)
        b.emit(.dmaw, .reg(R.r12), .reg(R.r13), .reg(R.r15), note: "zero rows (or nothing)")
        // Next buffer of the ring.
        b.emit(.lw, .reg(R.r12), spill(.producerBuffer))
        b.ringBuffer(R.r12, from: R.r12, steps: 1, buffer: p.buffer(1), scratch: R.r13, "mattn_pring")
        b.emit(.sw, .reg(R.r12), spill(.producerBuffer))
        // At a range's end: the next range (K(g) -> V(g) -> K(g + 1)).
        b.emit(.lw, .reg(R.r12), spill(.producerRowsLeft))
        b.emit(.bne, .reg(R.r12), .reg(.zero), .label(end))
        b.emit(.lw, .reg(R.r12), spill(.producerRanges))
        b.emit(.addi, .reg(R.r12), .reg(R.r12), .imm(-1))
        b.emit(.sw, .reg(R.r12), spill(.producerRanges))
        b.emit(.lw, .reg(R.r14), spill(.keys))
        b.emit(.sw, .reg(R.r14), spill(.producerRowsLeft))
        rowBytes(R.r14, of: R.r14, into: &b)
        b.emit(.lw, .reg(R.r12), spill(.producerAddress))
        b.emit(.sub, .reg(R.r12), .reg(R.r12), .reg(R.r14), note: "back to the range's start")
        b.emit(.lw, .reg(R.r13), spill(.producerIsValue))
        let toKeys = b.label("mattn_pkeys"), moved = b.label("mattn_pmoved")
        b.emit(.bne, .reg(R.r13), .reg(.zero), .label(toKeys))
        b.li(R.r14, valueCache - keyCache, wide: true)
        b.emit(.add, .reg(R.r12), .reg(R.r12), .reg(R.r14), note: "this head's values")
        b.li(R.r13, -1, note: "values: the flag is all ones")
        b.emit(.jal, .reg(.zero), .label(moved))
        b.place(toKeys)
        b.li(R.r14, keyCache - valueCache + p.capacity * p.rowBytes, wide: true)
        b.emit(.add, .reg(R.r12), .reg(R.r12), .reg(R.r14), note: "the next head's keys")
        b.li(R.r13, 0)
        b.place(moved)
        b.emit(.sw, .reg(R.r13), spill(.producerIsValue))
        b.emit(.sw, .reg(R.r12), spill(.producerAddress))
        b.emit(.jal, .reg(.zero), .label(end))
        b.place(done)
        b.emit(.dmaw, .reg(.zero), .reg(.zero), .reg(.zero), note: "the stream has ended: empty")
        b.emit(.dmaw, .reg(.zero), .reg(.zero), .reg(.zero))
        b.place(end)
    }
}
