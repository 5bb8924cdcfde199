import NMPISA
import NMPSimulator

/// Emits the microprogram of a `BitLinearPlan` into a `ProgramBuilder`.
///
/// A loop over token groups; per group: (1) for each token, absmax over its float32 input
/// (`famax`, `fmax`), the scale s = (1 / max(m, 1e-5)) * 127 (`fdiv`, `fmul`, the order
/// torch computes `127 / t` in), and the int8 codes (`fq`); (2) a hardware loop over the
/// row blocks: wait for the block's weights, prefetch the next block's, `ldm` + `mmac` over
/// the column chunks for every token, then stage the float32 outputs
/// Float(acc) / s * gamma (`fcvt`, `fdivs`, `fmuls`) and, every `outputBatch` blocks, write
/// each token's staged rows to DRAM with one DMA.
///
/// Waiting for weights: the DMA FIFO is serial. At the top of a block that follows a flush,
/// the FIFO holds the block's weights (prefetched a block earlier) and then the flush's
/// transfers, so `dwait <transfers of a flush>` waits exactly for the weights; at other
/// blocks `dwait 0` does. A staging buffer is rewritten two batches after its flush, by
/// which time a `dwait` has passed that transfer.
///
/// Scalar registers: r1 DRAM address of the next weight block, r2 block bytes, r3 scratch,
/// r4 the weight-SRAM buffer of the current block, r5 tile pointer, r6 int8 activation
/// pointer, r7 VLEN, r8 tile bytes, r9 loop counts, r10 gamma, r11 staging buffer, r12
/// staging write pointer (and input addresses while quantizing), r13-r15 scratch. Counters
/// and addresses beyond these live in the plan's spill words. Accumulators a0-a5 and int8
/// vectors v0-v5 belong to the group's tokens; a6 and v6 are scratch.
struct BitLinearCodegen {
    let plan: BitLinearPlan
    let weightScale: Float
    /// DRAM addresses of the packed weights, the float32 inputs `[tokens, in]`, the float32
    /// outputs `[tokens, out]` and (if the plan writes them) the int32 sums.
    let weights: Int, input: Int, output: Int, sums: Int

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
        b.comment("BitLinear \(p.inFeatures) -> \(p.outFeatures) over \(p.tokens) token(s): \(p.blocks) row block(s) x \(p.chunks) column chunk(s), groups of \(p.group) token(s)")
        b.li(Self.r7, vlen, note: "VLEN: lanes per column chunk")
        b.li(Self.r8, p.config.tileBytes, note: "bytes of one packed tile")
        b.li(Self.r10, float: weightScale, note: "gamma, the weight scale (float32 bits)")
        b.li(Self.r2, p.blockBytes, note: "bytes of one row block of tiles")
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
        for t in 0..<count { quantize(slot: t, into: &b) }
        multiply(tokens: count, into: &b)
    }

    private func quantize(slot: Int, into b: inout ProgramBuilder) {
        let p = plan
        b.comment("-- token slot \(slot)")
        b.emit(.addi, .reg(Self.r11), .reg(.zero), .imm(0), note: "running max |x| = +0.0")
        for piece in 0..<p.pieces { inputPiece(slot: slot, piece: piece, absmax: true, into: &b) }
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
    private func inputPiece(slot: Int, piece: Int, absmax: Bool, into b: inout ProgramBuilder) {
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
            b.emit(.dwait, .imm(0))
        }
        b.li(Self.r13, p.inputBufferAddress)
        b.li(Self.r3, 4 * vlen, note: "float32 bytes per chunk")
        b.emit(.setvl, .reg(.zero), .reg(Self.r7))
        let full = lastPiece && raggedChunk ? chunkCount - 1 : chunkCount
        b.repeatLoop(full, counter: Self.r9, absmax ? "max" : "quant") { b in
            body(absmax: absmax, advance: true, into: &b)
        }
        if lastPiece && raggedChunk {
            b.li(Self.r9, p.lastChunkColumns, note: "the ragged last chunk")
            b.emit(.setvl, .reg(.zero), .reg(Self.r9))
            body(absmax: absmax, advance: false, into: &b)
        }
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

    private func multiply(tokens count: Int, into b: inout ProgramBuilder) {
        let p = plan
        b.comment("-- row blocks: weights double-buffered from DRAM")
        b.emit(.dwait, .imm(0), note: "earlier outputs are out: the FIFO holds only what this group enqueues")
        b.li(Self.r1, weights, wide: true)
        b.emit(.addi, .reg(Self.r4), .reg(.zero), .imm(0), note: "weight SRAM buffer 0")
        b.emit(.dmaw, .reg(Self.r4), .reg(Self.r1), .reg(Self.r2), note: "row block 0")
        b.emit(.add, .reg(Self.r1), .reg(Self.r1), .reg(Self.r2))
        b.li(Self.r3, p.outFeatures); b.emit(.sw, .reg(Self.r3), spill(.rowsLeft))
        b.li(Self.r3, p.outputBatch); b.emit(.sw, .reg(Self.r3), spill(.batchLeft))
        b.emit(.sw, .reg(.zero), spill(.cursor))
        b.emit(.sw, .reg(.zero), spill(.pending))
        b.li(Self.r11, p.stagingAddress[0], note: "staging buffer 0")
        b.emit(.addi, .reg(Self.r12), .reg(Self.r11), .imm(0))
        b.repeatLoop(p.blocks, counter: Self.r9, "blocks") { b in
            block(tokens: count, into: &b)
        }
    }

    private func block(tokens count: Int, into b: inout ProgramBuilder) {
        let p = plan
        let flushTransfers = count * transfersPerFlush
        b.comment("one row block: wait for its weights, prefetch the next")
        let noFlush = b.label("wait0"), waited = b.label("waited")
        b.emit(.lw, .reg(Self.r13), spill(.pending))
        b.emit(.beq, .reg(Self.r13), .reg(.zero), .label(noFlush))
        b.emit(.dwait, .imm(flushTransfers), note: "behind these weights: the last flush's transfers")
        b.emit(.jal, .reg(.zero), .label(waited))
        b.place(noFlush)
        b.emit(.dwait, .imm(0), note: "this block's weights")
        b.place(waited)
        b.emit(.sw, .reg(.zero), spill(.pending))
        b.emit(.lw, .reg(Self.r13), spill(.rowsLeft))
        let last = b.label("lastblock")
        b.li(Self.r14, rows)
        b.emit(.bge, .reg(Self.r14), .reg(Self.r13), .label(last), note: "no block after this one")
        b.emit(.xor, .reg(Self.r14), .reg(Self.r4), .reg(Self.r2), note: "the other weight buffer")
        b.emit(.dmaw, .reg(Self.r14), .reg(Self.r1), .reg(Self.r2), note: "prefetch the next row block")
        b.emit(.add, .reg(Self.r1), .reg(Self.r1), .reg(Self.r2))
        b.place(last)
        b.emit(.addi, .reg(Self.r5), .reg(Self.r4), .imm(0), note: "tiles of this block")
        b.emit(.setvl, .reg(.zero), .reg(Self.r7))
        for t in 0..<count { b.emit(.azero, .reg(.a(t))) }
        b.li(Self.r6, p.quantizedAddress)
        let full = raggedChunk ? p.chunks - 1 : p.chunks
        let chunkCounter = Self.r15
        b.repeatLoop(full, counter: chunkCounter, "chunks") { b in
            tile(tokens: count, advance: true, into: &b)
        }
        if raggedChunk {
            b.li(Self.r3, p.lastChunkColumns, note: "the ragged last chunk")
            b.emit(.setvl, .reg(.zero), .reg(Self.r3))
            tile(tokens: count, advance: false, into: &b)
        }
        outputs(tokens: count, into: &b)
    }

    private func tile(tokens count: Int, advance: Bool, into b: inout ProgramBuilder) {
        b.emit(.ldm, .reg(.m(0)), .mem(Self.r5, 0))
        for t in 0..<count {
            b.emit(.ldv, .reg(.v(t)), .mem(Self.r6, t * plan.quantizedStride))
            b.emit(.mmac, .reg(.a(t)), .reg(.m(0)), .reg(.v(t)))
        }
        if advance {
            b.emit(.add, .reg(Self.r5), .reg(Self.r5), .reg(Self.r8))
            b.emit(.add, .reg(Self.r6), .reg(Self.r6), .reg(Self.r7))
        }
    }

    private func outputs(tokens count: Int, into b: inout ProgramBuilder) {
        let p = plan
        b.comment("outputs of this block: Float(acc) / s * gamma, staged per token")
        b.emit(.lw, .reg(Self.r13), spill(.rowsLeft))
        b.li(Self.r14, rows)
        b.emit(.min, .reg(Self.r13), .reg(Self.r13), .reg(Self.r14), note: "rows of this block")
        b.emit(.setvl, .reg(.zero), .reg(Self.r13))
        b.li(Self.r3, p.scalesAddress)
        let sumsOffset = p.outputBatch * rows * 4
        for t in 0..<count {
            if p.writesSums { b.emit(.sta, .reg(.a(t)), .mem(Self.r12, t * p.stagingSlotBytes + sumsOffset), note: "int32 sums") }
            b.emit(.lw, .reg(Self.r15), .mem(Self.r3, 4 * t), note: "s of token slot \(t)")
            b.emit(.fcvt, .reg(.a(6)), .reg(.a(t)))
            b.emit(.fdivs, .reg(.a(6)), .reg(.a(6)), .reg(Self.r15), note: "/ s")
            b.emit(.fmuls, .reg(.a(6)), .reg(.a(6)), .reg(Self.r10), note: "* gamma")
            b.emit(.sta, .reg(.a(6)), .mem(Self.r12, t * p.stagingSlotBytes), note: "float32 outputs")
        }
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
        b.li(Self.r13, p.stagingAddress[0] ^ p.stagingAddress[1])
        b.emit(.xor, .reg(Self.r11), .reg(Self.r11), .reg(Self.r13), note: "the other staging buffer")
        b.emit(.addi, .reg(Self.r12), .reg(Self.r11), .imm(0))
        // Not a branch target at the loop's end: a taken branch there would skip the loop check.
        b.place(done)
        b.emit(.xor, .reg(Self.r4), .reg(Self.r4), .reg(Self.r2), note: "the next block's weight buffer")
    }
}
