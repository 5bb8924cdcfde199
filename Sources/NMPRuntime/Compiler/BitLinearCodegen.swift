import NMPISA
import NMPSimulator

/// Emits the microprogram of a `BitLinearPlan` into a `ProgramBuilder`.
///
/// A loop over token groups; per group: (1) for each token, absmax over its float32 input
/// (`famax`, `fmax`), the scale s = (1 / max(m, 1e-5)) * 127 (`fdiv`, `fmul`, the order
/// torch computes `127 / t` in), and the int8 codes (`fq`); (2) a hardware loop over the
/// passes of `blocksPerPass` row blocks: wait for the pass's weights, request the next
/// pass's, `ldm` + `mmac` over the column chunks for every token and block of the pass, then
/// stage the float32 outputs Float(acc) / s * gamma (`fcvt`, `fdivs`, `fmuls`) and, every
/// `outputBatch` passes, write each token's staged rows to DRAM with one DMA.
///
/// The tile loop is software-pipelined: per chunk, the tokens' `ldv`, `ldm m0` (block A),
/// the `mmac`s of the previous chunk's block B, `ldm m1` (block B), the `mmac`s of block A.
/// Each `mmac` so issues at least 4 cycles after its tile's `ldm` ended, past the load's
/// result latency, and the `ldm`s (2 cycles of weight-SRAM port each on the default machine)
/// follow each other with only the `mmac`s between: 7 issue cycles per chunk of two tiles,
/// and two chunks per loop iteration with immediate offsets, so two pointer updates per four
/// tiles. The int8 vectors alternate between v0-v3 and v4-v7 by chunk parity, because block
/// B's `mmac`s read the previous chunk's vectors after the next ones are loaded.
///
/// Waiting for weights: the DMA FIFO completes in order (ISA.md 6.5). At the top of a pass
/// that follows a flush, the FIFO holds the pass's weights (requested a pass earlier) and
/// then the flush's transfers, so `dwait <transfers of a flush>` waits exactly for the
/// weights; at other passes `dwait 0` does. The next pass is requested right after: its
/// data flows once the current pass's has arrived (the pipelined DMA overlaps its latency),
/// so the DRAM channel stays busy while the core multiplies. A staging buffer is rewritten
/// two batches after its flush, by which time a `dwait` has passed that transfer.
///
/// Scalar registers: r1 DRAM address of the next pass to request, r2 its bytes, r3 scratch,
/// r4 the weight-SRAM buffer of the current pass, r5 tile pointer, r6 int8 activation
/// pointer, r7 VLEN, r9 loop counts, r10 gamma, r11 staging buffer, r12 staging write
/// pointer (and input addresses while quantizing), r13-r15 scratch. Counters and addresses
/// beyond these live in the plan's spill words. Accumulators a0-a3 belong to the group's
/// tokens for block A of a pass, a4-a7 for block B; int8 vectors v0-v3 and v4-v7 (by chunk
/// parity) to the tokens. While quantizing, a6 and v6 are scratch.
struct BitLinearCodegen {
    let plan: BitLinearPlan
    let weightScale: Float
    /// DRAM addresses of the packed weights, the float32 inputs `[tokens, in]`, the float32
    /// outputs `[tokens, out]` and (if the plan writes them) the int32 sums.
    let weights: Int, input: Int, output: Int, sums: Int
    /// The input's int8 codes and scales are already in the activation SRAM, left by the
    /// layer before on the same input (`BitLinearPlan.sharesQuantization(with:)`).
    var reusesQuantization = false

    private var vlen: Int { plan.config.vlen }
    private var rows: Int { plan.config.rows }
    private var raggedChunk: Bool { plan.lastChunkColumns < vlen }
    private var transfersPerFlush: Int { plan.writesSums ? 2 : 1 }

    private enum Spill: Int { case groupInput, groupOutput, cursor, groupSums, groupsLeft, rowsLeft, batchLeft, pending }
    private func spill(_ slot: Spill) -> Operand { .mem(.zero, plan.spillAddress + 4 * slot.rawValue) }

    private static let r1 = Reg.r(1), r2 = Reg.r(2), r3 = Reg.r(3), r4 = Reg.r(4), r5 = Reg.r(5), r6 = Reg.r(6)
    private static let r7 = Reg.r(7), r8 = Reg.r(8), r9 = Reg.r(9), r10 = Reg.r(10), r11 = Reg.r(11), r12 = Reg.r(12)
    private static let r13 = Reg.r(13), r14 = Reg.r(14), r15 = Reg.r(15)

    /// The whole kernel, ending when its outputs are in DRAM (`dwait 0`).
    func emit(into b: inout ProgramBuilder) {
        let p = plan
        precondition(p.spillAddress + 32 <= 32767, "spill words beyond a 16-bit offset")
        b.comment("BitLinear \(p.inFeatures) -> \(p.outFeatures) over \(p.tokens) token(s): \(p.blocks) row block(s) in passes of \(p.blocksPerPass) x \(p.chunks) column chunk(s), groups of \(p.group) token(s)")
        if let note = p.note { b.comment("fallback: \(note)") }
        b.li(Self.r7, vlen, note: "VLEN: lanes per column chunk")
        b.li(Self.r10, float: weightScale, note: "gamma, the weight scale (float32 bits)")
        b.li(Self.r3, input, wide: true); b.emit(.sw, .reg(Self.r3), spill(.groupInput))
        b.li(Self.r3, output, wide: true); b.emit(.sw, .reg(Self.r3), spill(.groupOutput))
        b.li(Self.r3, sums, wide: true); b.emit(.sw, .reg(Self.r3), spill(.groupSums))
        if p.fullGroups > 1 {
            b.li(Self.r3, p.fullGroups); b.emit(.sw, .reg(Self.r3), spill(.groupsLeft))
            let top = b.label("group")
            b.place(top)
            group(tokens: p.group, into: &b)
            b.comment("next group: advance the input and output addresses")
            for (slot, stride) in [(Spill.groupInput, p.inFeatures), (.groupOutput, p.outFeatures), (.groupSums, p.outFeatures)] {
                b.emit(.lw, .reg(Self.r3), spill(slot))
                b.addConstant(Self.r3, 4 * stride * p.group, scratch: Self.r13)
                b.emit(.sw, .reg(Self.r3), spill(slot))
            }
            b.emit(.lw, .reg(Self.r3), spill(.groupsLeft))
            b.emit(.addi, .reg(Self.r3), .reg(Self.r3), .imm(-1))
            b.emit(.sw, .reg(Self.r3), spill(.groupsLeft))
            b.emit(.bne, .reg(Self.r3), .reg(.zero), .label(top), note: "more full groups")
        } else if p.fullGroups == 1 {
            group(tokens: p.group, into: &b)
            if p.lastGroupTokens > 0 {
                for (slot, stride) in [(Spill.groupInput, p.inFeatures), (.groupOutput, p.outFeatures), (.groupSums, p.outFeatures)] {
                    b.emit(.lw, .reg(Self.r3), spill(slot))
                    b.addConstant(Self.r3, 4 * stride * p.group, scratch: Self.r13)
                    b.emit(.sw, .reg(Self.r3), spill(slot))
                }
            }
        }
        if p.lastGroupTokens > 0 {
            b.comment("the last, partial group of \(p.lastGroupTokens) token(s)")
            group(tokens: p.lastGroupTokens, into: &b)
        }
        b.emit(.dwait, .imm(0), note: "the last outputs reach DRAM")
    }

    // MARK: A group of tokens

    private func group(tokens count: Int, into b: inout ProgramBuilder) {
        b.comment("==== a group of \(count) token(s): absmax, scale, int8 codes")
        // One token whose input is one piece: the first pass of weights streams behind the
        // input while the core quantizes.
        if reusesQuantization {
            b.comment("the int8 codes and scales of the layer before, on the same input")
            multiply(tokens: count, requested: false, into: &b)
            return
        }
        let early = count == 1 && plan.pieces == 1
        for t in 0..<count { quantize(slot: t, requestWeights: early, into: &b) }
        multiply(tokens: count, requested: early, into: &b)
    }

    /// Column chunks of a pass's first part (the second has the rest; each part is one DMA).
    private var partChunks: (Int, Int) { let a = (plan.chunks + 1) / 2; return (a, plan.chunks - a) }

    /// Requests both parts of the first pass of weights into buffer 0 (r4 = 0, r1 = the DRAM
    /// address after it).
    private func requestFirstPass(into b: inout ProgramBuilder) {
        let p = plan, tile = p.config.tileBytes
        let n = p.fullPasses > 0 ? p.blocksPerPass : p.lastPassBlocks
        b.li(Self.r1, weights, wide: true)
        b.emit(.addi, .reg(Self.r4), .reg(.zero), .imm(0), note: "weight SRAM buffer 0")
        b.li(Self.r2, n * partChunks.0 * tile, note: "bytes of the first pass's first part")
        b.emit(.dmaw, .reg(Self.r4), .reg(Self.r1), .reg(Self.r2), note: "pass 0, part 0")
        b.emit(.add, .reg(Self.r1), .reg(Self.r1), .reg(Self.r2))
        b.emit(.add, .reg(Self.r14), .reg(Self.r4), .reg(Self.r2))
        b.li(Self.r2, n * partChunks.1 * tile, note: "and of its second part")
        b.emit(.dmaw, .reg(Self.r14), .reg(Self.r1), .reg(Self.r2), note: "pass 0, part 1")
        b.emit(.add, .reg(Self.r1), .reg(Self.r1), .reg(Self.r2))
    }

    private func quantize(slot: Int, requestWeights: Bool, into b: inout ProgramBuilder) {
        let p = plan
        b.comment("-- token slot \(slot)")
        b.emit(.addi, .reg(Self.r11), .reg(.zero), .imm(0), note: "running max |x| = +0.0")
        for piece in 0..<p.pieces { inputPiece(slot: slot, piece: piece, absmax: true, requestWeights: requestWeights, into: &b) }
        b.li(Self.r15, float: 1e-5, note: "clamp(min=1e-5)")
        b.emit(.fmax, .reg(Self.r11), .reg(Self.r11), .reg(Self.r15))
        b.li(Self.r15, float: 1.0)
        b.emit(.fdiv, .reg(Self.r11), .reg(Self.r15), .reg(Self.r11), note: "1 / max: torch computes 127 / t as reciprocal(t) * 127")
        b.li(Self.r15, float: 127.0)
        b.emit(.fmul, .reg(Self.r11), .reg(Self.r11), .reg(Self.r15), note: "s = (1 / max) * 127")
        b.li(Self.r13, p.scalesAddress + 4 * slot)
        b.emit(.sw, .reg(Self.r11), .mem(Self.r13, 0), note: "keep s for the dequantization")
        b.li(Self.r6, p.quantizedAddress + slot * p.quantizedStride, note: "int8 codes of this slot")
        for piece in 0..<p.pieces { inputPiece(slot: slot, piece: piece, absmax: false, into: &b) }
    }

    /// One piece of a token's float32 input: DMA it in (unless the whole row is one piece
    /// already there from the absmax pass), then run the pass over its chunks.
    private func inputPiece(slot: Int, piece: Int, absmax: Bool, requestWeights: Bool = false, into b: inout ProgramBuilder) {
        let p = plan
        let firstChunk = piece * p.pieceChunks
        let chunkCount = min(p.pieceChunks, p.chunks - firstChunk)
        let lastPiece = piece == p.pieces - 1
        let floats = lastPiece ? p.inFeatures - firstChunk * vlen : chunkCount * vlen
        if absmax || p.pieces > 1 {
            b.emit(.lw, .reg(Self.r12), spill(.groupInput))
            b.addConstant(Self.r12, 4 * (slot * p.inFeatures + firstChunk * vlen), scratch: Self.r13,
                          note: "x of slot \(slot) from feature \(firstChunk * vlen)")
            b.li(Self.r13, p.inputBufferAddress)
            b.li(Self.r14, 4 * floats)
            b.emit(.dmaa, .reg(Self.r13), .reg(Self.r12), .reg(Self.r14))
            if requestWeights && absmax {
                requestFirstPass(into: &b)
                b.emit(.dwait, .imm(2), note: "the input (the weights behind it keep streaming)")
            } else {
                b.emit(.dwait, .imm(0))
            }
        }
        b.li(Self.r13, p.inputBufferAddress)
        b.li(Self.r3, 4 * vlen, note: "float32 bytes per chunk")
        b.emit(.setvl, .reg(.zero), .reg(Self.r7))
        let full = lastPiece && raggedChunk ? chunkCount - 1 : chunkCount
        // Two chunks per iteration (a6/v6 and a7/v7; the absmax keeps a second running
        // maximum in r14), so that each load's latency hides behind the other's port cycles.
        let pairs = 8 * vlen <= 32767 ? full / 2 : 0
        if absmax && pairs > 0 { b.emit(.addi, .reg(Self.r14), .reg(.zero), .imm(0), note: "second running max |x|") }
        b.repeatLoop(pairs, counter: Self.r9, absmax ? "max" : "quant") { b in
            pairBody(absmax: absmax, into: &b)
        }
        b.repeatLoop(full - 2 * pairs, counter: Self.r9, absmax ? "max" : "quant") { b in
            body(absmax: absmax, advance: true, into: &b)
        }
        if lastPiece && raggedChunk {
            b.li(Self.r9, p.lastChunkColumns, note: "the ragged last chunk")
            b.emit(.setvl, .reg(.zero), .reg(Self.r9))
            body(absmax: absmax, advance: false, into: &b)
        }
        if absmax && pairs > 0 { b.emit(.fmax, .reg(Self.r11), .reg(Self.r11), .reg(Self.r14)) }
    }

    private func pairBody(absmax: Bool, into b: inout ProgramBuilder) {
        b.emit(.lda, .reg(.a(6)), .mem(Self.r13, 0))
        b.emit(.lda, .reg(.a(7)), .mem(Self.r13, 4 * vlen))
        if absmax {
            b.emit(.famax, .reg(Self.r15), .reg(.a(6)))
            b.emit(.famax, .reg(Self.r8), .reg(.a(7)))
            b.emit(.fmax, .reg(Self.r11), .reg(Self.r11), .reg(Self.r15))
            b.emit(.fmax, .reg(Self.r14), .reg(Self.r14), .reg(Self.r8))
        } else {
            b.emit(.fq, .reg(.v(6)), .reg(.a(6)), .reg(Self.r11), note: "clamp(round_half_even(x * s), -128, 127)")
            b.emit(.fq, .reg(.v(7)), .reg(.a(7)), .reg(Self.r11))
            b.emit(.stv, .reg(.v(6)), .mem(Self.r6, 0))
            b.emit(.stv, .reg(.v(7)), .mem(Self.r6, vlen))
            b.emit(.addi, .reg(Self.r6), .reg(Self.r6), .imm(2 * vlen))
        }
        b.emit(.addi, .reg(Self.r13), .reg(Self.r13), .imm(8 * vlen))
    }

    private func body(absmax: Bool, advance: Bool, into b: inout ProgramBuilder) {
        b.emit(.lda, .reg(.a(6)), .mem(Self.r13, 0))
        if absmax {
            b.emit(.famax, .reg(Self.r15), .reg(.a(6)))
            b.emit(.fmax, .reg(Self.r11), .reg(Self.r11), .reg(Self.r15))
        } else {
            b.emit(.fq, .reg(.v(6)), .reg(.a(6)), .reg(Self.r11), note: "clamp(round_half_even(x * s), -128, 127)")
            b.emit(.stv, .reg(.v(6)), .mem(Self.r6, 0))
            if advance { b.emit(.add, .reg(Self.r6), .reg(Self.r6), .reg(Self.r7)) }
        }
        if advance { b.emit(.add, .reg(Self.r13), .reg(Self.r13), .reg(Self.r3)) }
    }

    // MARK: The ternary product and the outputs

    private func multiply(tokens count: Int, requested: Bool, into b: inout ProgramBuilder) {
        let p = plan
        b.comment("-- passes of \(p.blocksPerPass) row block(s): weights double-buffered from DRAM")
        if !requested {
            b.emit(.dwait, .imm(0), note: "earlier outputs are out: the FIFO holds only what this group enqueues")
            requestFirstPass(into: &b)
        }
        b.li(Self.r3, p.outFeatures); b.emit(.sw, .reg(Self.r3), spill(.rowsLeft))
        b.li(Self.r3, p.outputBatch); b.emit(.sw, .reg(Self.r3), spill(.batchLeft))
        b.emit(.sw, .reg(.zero), spill(.cursor))
        b.emit(.sw, .reg(.zero), spill(.pending))
        b.li(Self.r11, p.stagingAddress[0], note: "staging buffer 0")
        b.emit(.addi, .reg(Self.r12), .reg(Self.r11), .imm(0))
        b.repeatLoop(p.fullPasses, counter: Self.r9, "passes") { b in
            pass(blocks: p.blocksPerPass, tokens: count, into: &b)
        }
        if p.lastPassBlocks > 0 {
            b.comment("the last pass, of \(p.lastPassBlocks) row block(s)")
            pass(blocks: p.lastPassBlocks, tokens: count, into: &b)
        }
    }

    /// One pass of `n` row blocks in two parts, each one DMA transfer. At the top of part j
    /// the code requests part j of the next pass (0 bytes after the last pass, so that every
    /// pass counts the same transfers) into the other buffer, whose pass is done, and then
    /// waits for its own part j: behind it in the FIFO are the rest of this pass, the last
    /// flush's transfers if there was one, and the next pass's parts up to j, so
    /// `dwait 2 (+ flush)`. The DRAM channel so always has a part queued behind the one
    /// arriving, and a pass's compute never waits for more than half of it to arrive.
    private func pass(blocks n: Int, tokens count: Int, into b: inout ProgramBuilder) {
        let p = plan, tile = p.config.tileBytes
        let (chunksA, chunksB) = partChunks
        b.comment("one pass of \(n) row block(s): the next pass's part sizes (0: no next pass)")
        let none = b.label("nonext")
        b.emit(.lw, .reg(Self.r13), spill(.rowsLeft))
        b.li(Self.r14, n * rows)
        b.emit(.sub, .reg(Self.r13), .reg(Self.r13), .reg(Self.r14), note: "rows after this pass")
        b.emit(.addi, .reg(Self.r2), .reg(.zero), .imm(0))
        b.emit(.addi, .reg(Self.r8), .reg(.zero), .imm(0))
        b.emit(.bge, .reg(.zero), .reg(Self.r13), .label(none))
        b.li(Self.r2, p.blocksPerPass * chunksA * tile)
        b.li(Self.r8, p.blocksPerPass * chunksB * tile)
        if p.lastPassBlocks > 0 {
            b.li(Self.r14, (p.blocksPerPass - 1) * rows)
            b.emit(.blt, .reg(Self.r14), .reg(Self.r13), .label(none), note: "the next pass is a full one ...")
            b.li(Self.r2, p.lastPassBlocks * chunksA * tile, note: "... or the smaller last one")
            b.li(Self.r8, p.lastPassBlocks * chunksB * tile)
        }
        b.place(none)
        b.li(Self.r3, p.passBytes)
        b.emit(.xor, .reg(Self.r14), .reg(Self.r4), .reg(Self.r3), note: "the other weight buffer")
        b.emit(.dmaw, .reg(Self.r14), .reg(Self.r1), .reg(Self.r2), note: "request part 0 of the next pass")
        b.emit(.add, .reg(Self.r1), .reg(Self.r1), .reg(Self.r2))
        waitForPart(tokens: count, into: &b)
        b.emit(.addi, .reg(Self.r5), .reg(Self.r4), .imm(0), note: "tiles of this pass")
        b.emit(.setvl, .reg(.zero), .reg(Self.r7))
        for t in 0..<count {
            b.emit(.azero, .reg(.a(t)))
            if n == 2 { b.emit(.azero, .reg(.a(4 + t))) }
        }
        b.li(Self.r6, p.quantizedAddress)
        if raggedChunk { b.li(Self.r3, p.lastChunkColumns, note: "lanes of the ragged last chunk") }
        chunks(from: 0, to: chunksA, blocks: n, tokens: count, advance: true, into: &b)
        b.comment("part 1 of the pass")
        b.emit(.add, .reg(Self.r14), .reg(Self.r14), .reg(Self.r2))
        b.emit(.dmaw, .reg(Self.r14), .reg(Self.r1), .reg(Self.r8), note: "request part 1 of the next pass")
        b.emit(.add, .reg(Self.r1), .reg(Self.r1), .reg(Self.r8))
        waitForPart(tokens: count, into: &b)
        b.emit(.sw, .reg(.zero), spill(.pending), note: "the last flush is behind both parts")
        chunks(from: chunksA, to: chunksA + chunksB, blocks: n, tokens: count, advance: false, into: &b)
        let q = (p.chunks - 1) % 2
        for t in 0..<count {
            if n == 2 {
                b.emit(.mmac, .reg(.a(4 + t)), .reg(.m(1)), .reg(.v(t + 4 * q)))
            } else {
                b.emit(.mmac, .reg(.a(t)), .reg(.m(q)), .reg(.v(t + 4 * q)))
            }
        }
        outputs(blocks: n, tokens: count, into: &b)
    }

    /// Waits for the current part: two transfers are behind it, plus the last flush's.
    private func waitForPart(tokens count: Int, into b: inout ProgramBuilder) {
        let flushTransfers = count * transfersPerFlush
        let noFlush = b.label("wait"), waited = b.label("waited")
        b.emit(.lw, .reg(Self.r13), spill(.pending))
        b.emit(.beq, .reg(Self.r13), .reg(.zero), .label(noFlush))
        b.emit(.dwait, .imm(2 + flushTransfers), note: "behind this part: the rest of the pass, the last flush, the next pass's parts")
        b.emit(.jal, .reg(.zero), .label(waited))
        b.place(noFlush)
        b.emit(.dwait, .imm(2), note: "behind this part: the rest of the pass and the next pass's parts")
        b.place(waited)
    }

    /// Chunks c0 ..< c1 of the pass, r5 and r6 pointing at chunk c0 (and, with `advance`, at
    /// chunk c1 afterwards). Chunk 0 has no `mmac`s pending; every later chunk issues its
    /// predecessor's.
    private func chunks(from c0: Int, to c1: Int, blocks n: Int, tokens count: Int, advance: Bool, into b: inout ProgramBuilder) {
        let p = plan
        guard c1 > c0 else { return }
        let stepBytes = n * p.config.tileBytes
        var c = c0, slot = 0
        if c == 0 {
            chunk(parity: 0, slot: 0, blocks: n, tokens: count, pending: false, ragged: raggedChunk && p.chunks == 1, into: &b)
            c = 1; slot = 1
        }
        let raggedHere = raggedChunk && c1 == p.chunks && c < c1
        let full = c1 - c - (raggedHere ? 1 : 0)
        let base = slot
        b.repeatLoop(full / 2, counter: Self.r15, "chunks") { b in
            chunk(parity: c % 2, slot: base, blocks: n, tokens: count, pending: true, ragged: false, into: &b)
            chunk(parity: (c + 1) % 2, slot: base + 1, blocks: n, tokens: count, pending: true, ragged: false, into: &b)
            b.emit(.addi, .reg(Self.r5), .reg(Self.r5), .imm(2 * stepBytes))
            b.emit(.addi, .reg(Self.r6), .reg(Self.r6), .imm(2 * vlen))
        }
        c += 2 * (full / 2)
        if full % 2 == 1 {
            chunk(parity: c % 2, slot: slot, blocks: n, tokens: count, pending: true, ragged: false, into: &b)
            c += 1; slot += 1
        }
        if raggedHere {
            chunk(parity: c % 2, slot: slot, blocks: n, tokens: count, pending: true, ragged: true, into: &b)
            c += 1; slot += 1
        }
        if advance && slot > 0 {
            b.emit(.addi, .reg(Self.r5), .reg(Self.r5), .imm(slot * stepBytes))
            b.emit(.addi, .reg(Self.r6), .reg(Self.r6), .imm(slot * vlen))
        }
    }

    /// One column chunk at `slot` chunks past the pointers r5 and r6, its vectors in the
    /// registers of `parity`; with `pending`, the `mmac`s the previous chunk left (block B's,
    /// or the only block's) issue between this chunk's loads. A ragged chunk expects its lane
    /// count in r3 and sets vl after the previous chunk's `mmac`s.
    private func chunk(parity q: Int, slot: Int, blocks n: Int, tokens count: Int, pending: Bool, ragged: Bool, into b: inout ProgramBuilder) {
        let p = plan
        let tile = p.config.tileBytes
        let o5 = slot * n * tile, o6 = slot * vlen
        func loads() {
            for t in 0..<count { b.emit(.ldv, .reg(.v(t + 4 * q)), .mem(Self.r6, o6 + t * p.quantizedStride)) }
        }
        func previous() {
            guard pending else { return }
            for t in 0..<count {
                if n == 2 {
                    b.emit(.mmac, .reg(.a(4 + t)), .reg(.m(1)), .reg(.v(t + 4 * (1 - q))))
                } else {
                    b.emit(.mmac, .reg(.a(t)), .reg(.m(1 - q)), .reg(.v(t + 4 * (1 - q))))
                }
            }
        }
        let first: Reg = n == 2 ? .m(0) : .m(q)
        if ragged {
            b.emit(.ldm, .reg(first), .mem(Self.r5, o5))
            previous()
            b.emit(.setvl, .reg(.zero), .reg(Self.r3), note: "the ragged last chunk")
            loads()
        } else {
            loads()
            b.emit(.ldm, .reg(first), .mem(Self.r5, o5))
            previous()
        }
        if n == 2 {
            b.emit(.ldm, .reg(.m(1)), .mem(Self.r5, o5 + tile))
            for t in 0..<count { b.emit(.mmac, .reg(.a(t)), .reg(.m(0)), .reg(.v(t + 4 * q))) }
        }
    }

    private func outputs(blocks n: Int, tokens count: Int, into b: inout ProgramBuilder) {
        let p = plan
        b.comment("outputs of this pass: Float(acc) / s * gamma, staged per token")
        b.emit(.lw, .reg(Self.r13), spill(.rowsLeft))
        b.li(Self.r14, n * rows)
        b.emit(.min, .reg(Self.r13), .reg(Self.r13), .reg(Self.r14), note: "rows of this pass")
        b.li(Self.r3, p.scalesAddress)
        let sumsOffset = p.outputBatch * p.blocksPerPass * rows * 4
        // Every token and block at vl = ROWS, interleaved so that the float latencies
        // overlap: a ragged block's extra lanes are zero sums, staged past its rows (inside
        // the slot) and never written to DRAM.
        let scales: [Reg] = [Self.r15, Self.r8, Self.r2, Self.r9]
        var accs: [(acc: Reg, token: Int, offset: Int)] = []
        for t in 0..<count {
            accs.append((.a(t), t, 0))
            if n == 2 { accs.append((.a(4 + t), t, 4 * rows)) }
        }
        b.li(Self.r14, rows)
        b.emit(.setvl, .reg(.zero), .reg(Self.r14))
        for t in 0..<count { b.emit(.lw, .reg(scales[t]), .mem(Self.r3, 4 * t), note: "s of token slot \(t)") }
        if p.writesSums {
            for x in accs { b.emit(.sta, .reg(x.acc), .mem(Self.r12, x.token * p.stagingSlotBytes + sumsOffset + x.offset), note: "int32 sums") }
        }
        for x in accs { b.emit(.fcvt, .reg(x.acc), .reg(x.acc)) }
        for x in accs { b.emit(.fdivs, .reg(x.acc), .reg(x.acc), .reg(scales[x.token]), note: "/ s") }
        for x in accs { b.emit(.fmuls, .reg(x.acc), .reg(x.acc), .reg(Self.r10), note: "* gamma") }
        for x in accs { b.emit(.sta, .reg(x.acc), .mem(Self.r12, x.token * p.stagingSlotBytes + x.offset), note: "float32 outputs") }
        b.emit(.slli, .reg(Self.r14), .reg(Self.r13), .imm(2))
        b.emit(.add, .reg(Self.r12), .reg(Self.r12), .reg(Self.r14))
        b.emit(.lw, .reg(Self.r14), spill(.rowsLeft))
        b.emit(.sub, .reg(Self.r14), .reg(Self.r14), .reg(Self.r13))
        b.emit(.sw, .reg(Self.r14), spill(.rowsLeft))
        let flush = b.label("flush"), done = b.label("staged")
        b.emit(.lw, .reg(Self.r13), spill(.batchLeft))
        b.emit(.addi, .reg(Self.r13), .reg(Self.r13), .imm(-1))
        b.emit(.sw, .reg(Self.r13), spill(.batchLeft))
        b.emit(.beq, .reg(Self.r13), .reg(.zero), .label(flush), note: "the batch is full")
        b.emit(.bne, .reg(Self.r14), .reg(.zero), .label(done), note: "rows remain: keep staging")
        b.place(flush)
        b.comment("flush: each token's staged rows to its output row in DRAM, one DMA each")
        b.emit(.sub, .reg(Self.r14), .reg(Self.r12), .reg(Self.r11), note: "bytes staged per token")
        for (base, offset) in [(Spill.groupOutput, 0)] + (p.writesSums ? [(Spill.groupSums, sumsOffset)] : []) {
            b.emit(.lw, .reg(Self.r15), spill(base))
            b.emit(.lw, .reg(Self.r13), spill(.cursor))
            b.emit(.add, .reg(Self.r15), .reg(Self.r15), .reg(Self.r13))
            b.emit(.addi, .reg(Self.r13), .reg(Self.r11), .imm(offset))
            for t in 0..<count {
                if t > 0 {
                    b.emit(.addi, .reg(Self.r13), .reg(Self.r13), .imm(p.stagingSlotBytes))
                    b.addConstant(Self.r15, 4 * p.outFeatures, scratch: Self.r3)
                }
                b.emit(.dmas, .reg(Self.r15), .reg(Self.r13), .reg(Self.r14))
            }
        }
        b.emit(.lw, .reg(Self.r13), spill(.cursor))
        b.emit(.add, .reg(Self.r13), .reg(Self.r13), .reg(Self.r14))
        b.emit(.sw, .reg(Self.r13), spill(.cursor))
        b.li(Self.r13, 1)
        b.emit(.sw, .reg(Self.r13), spill(.pending))
        b.li(Self.r13, p.outputBatch)
        b.emit(.sw, .reg(Self.r13), spill(.batchLeft))
        if p.stagingAddress.count == 2 {
            b.li(Self.r13, p.stagingAddress[0] ^ p.stagingAddress[1])
            b.emit(.xor, .reg(Self.r11), .reg(Self.r11), .reg(Self.r13), note: "the other staging buffer")
        }
        b.emit(.addi, .reg(Self.r12), .reg(Self.r11), .imm(0))
        // Not a branch target at the loop's end: a taken branch there would skip the loop check.
        b.place(done)
        b.li(Self.r3, p.passBytes)
        b.emit(.xor, .reg(Self.r4), .reg(Self.r4), .reg(Self.r3), note: "the next pass's weight buffer")
    }
}
