import NMPISA
import NMPSimulator

/// Emits the microprogram of a `HalfLinearPlan`: the FP16 baseline's linear layer.
///
/// A loop over token groups; per group: (1) each token slot's float32 input, a piece at a
/// time, converted to binary16 (`lda`, `sthf`) and stored chunk-major, so that a chunk's
/// vectors of all the group's tokens lie 2 * VLEN bytes apart; (2) the passes of weights:
/// at the top of each, the next pass is requested into the other weight-SRAM buffer and this
/// one waited for, then one `hgemm` per tile (ISA.md 7.8: the tile read once, the group's
/// tokens streamed past it into their accumulators; a block's first chunk an `hgemz`, which
/// overwrites), and at the end of each row block its sums staged per token (`sta`); each pass
/// that ends a block writes each token's staged outputs to DRAM with one DMA.
///
/// Waiting for weights: the DMA FIFO completes in order (ISA.md 6.5). At the top of a pass,
/// behind this pass in the FIFO are the flush of the pass before (when it flushed: the
/// `pending` spill word) and the request just made, so `dwait 1 (+ the flush's transfers)`
/// waits exactly for this pass. A staging buffer is rewritten two flushes later, after a
/// pass requested behind its flush has been waited for.
///
/// Scalar registers: r1 DRAM address of the next pass, r2 its size, r3 scratch, r4 this
/// pass's weight buffer, r5 tile pointer, r6 activation pointer, r7 VLEN, r8 passes (or
/// blocks) left in the group, r9 and r15 loop counters, r11 staging buffer, r12 staging
/// write pointer, r13 and r14 scratch. Accumulators a(8-n) ... a7 belong to the group's n
/// tokens; a0 holds the input chunk while converting.
struct HalfLinearCodegen {
    let plan: HalfLinearPlan
    /// DRAM addresses of the binary16 tiles, the float32 inputs `[tokens, in]` and the
    /// float32 outputs `[tokens, out]`.
    let weights: Int, input: Int, output: Int

    private var vlen: Int { plan.config.vlen }
    private var rows: Int { plan.config.rows }
    private var tile: Int { plan.tileBytes }

    private enum Spill: Int { case groupInput, groupOutput, outputCursor, groupsLeft, rowsLeft, pending }
    private func spill(_ slot: Spill) -> Operand { .mem(.zero, plan.spillAddress + 4 * slot.rawValue) }

    private static let r1 = Reg.r(1), r2 = Reg.r(2), r3 = Reg.r(3), r4 = Reg.r(4), r5 = Reg.r(5), r6 = Reg.r(6)
    private static let r7 = Reg.r(7), r8 = Reg.r(8), r9 = Reg.r(9), r11 = Reg.r(11), r12 = Reg.r(12)
    private static let r13 = Reg.r(13), r14 = Reg.r(14), r15 = Reg.r(15)

    /// The whole kernel, ending when its outputs are in DRAM (`dwait 0`).
    func emit(into b: inout ProgramBuilder) {
        let p = plan
        b.comment("FP16 linear \(p.inFeatures) -> \(p.outFeatures) over \(p.tokens) token(s): \(p.blocks) row block(s) x \(p.chunks) column chunk(s), "
                  + (p.passesPerBlock > 1 ? "passes of \(p.passChunks) chunk(s) of a block" : "passes of \(p.blocksPerPass) block(s)")
                  + ", groups of \(p.group) token(s)")
        if let note = p.note { b.comment("fallback: \(note)") }
        b.li(Self.r7, vlen, note: "VLEN: lanes per column chunk")
        b.li(Self.r3, input, wide: true); b.emit(.sw, .reg(Self.r3), spill(.groupInput))
        b.li(Self.r3, output, wide: true); b.emit(.sw, .reg(Self.r3), spill(.groupOutput))
        b.tokenGroups(full: p.fullGroups, tokens: p.group, lastTokens: p.lastGroupTokens, groupsLeft: spill(.groupsLeft),
                      scratch: Self.r3, label: "halfgroup",
                      group: { b, _, count in group(tokens: count, into: &b) },
                      advance: { b, looping in
            if looping { b.comment("next group: advance the input and output addresses") }
            for (slot, stride) in [(Spill.groupInput, p.inFeatures), (.groupOutput, p.outFeatures)] {
                b.emit(.lw, .reg(Self.r3), spill(slot))
                b.addConstant(Self.r3, 4 * stride * p.group, scratch: Self.r13)
                b.emit(.sw, .reg(Self.r3), spill(slot))
            }
        })
        b.emit(.dwait, .imm(0), note: "the last outputs reach DRAM")
    }

    // MARK: A group

    private func group(tokens count: Int, into b: inout ProgramBuilder) {
        let p = plan
        convert(tokens: count, into: &b)
        b.comment("-- the weights, double-buffered from DRAM")
        b.li(Self.r3, p.outFeatures); b.emit(.sw, .reg(Self.r3), spill(.rowsLeft))
        b.emit(.lw, .reg(Self.r3), spill(.groupOutput)); b.emit(.sw, .reg(Self.r3), spill(.outputCursor))
        b.emit(.sw, .reg(.zero), spill(.pending))
        b.li(Self.r11, p.stagingAddress[0], note: "staging buffer 0")
        b.li(Self.r1, weights, wide: true)
        b.emit(.addi, .reg(Self.r4), .reg(.zero), .imm(0), note: "weight SRAM buffer 0")
        if p.passesPerBlock == 1 {
            let passes = p.blocks / p.blocksPerPass, last = p.blocks % p.blocksPerPass
            let total = passes + (last > 0 ? 1 : 0)
            b.li(Self.r2, (passes > 0 ? p.blocksPerPass : last) * p.blockBytes, note: "the first pass")
            request(into: &b)
            b.li(Self.r8, total, note: "passes left")
            b.repeatLoop(passes, counter: Self.r9, "halfpasses") { b in
                wholePass(blocks: p.blocksPerPass, lastBlocks: last, tokens: count, into: &b)
            }
            if last > 0 {
                b.comment("the last pass, of \(last) row block(s)")
                wholePass(blocks: last, lastBlocks: last, tokens: count, into: &b)
            }
        } else {
            b.li(Self.r2, p.passChunks * tile, note: "the first pass: the first chunks of block 0")
            request(into: &b)
            b.li(Self.r8, p.blocks, note: "blocks left")
            b.repeatLoop(p.blocks, counter: Self.r9, "halfblocks") { b in
                b.emit(.addi, .reg(Self.r8), .reg(Self.r8), .imm(-1), note: "blocks after this one")
                for piece in 0..<p.passesPerBlock { blockPiece(piece, tokens: count, into: &b) }
            }
        }
    }

    /// Each token slot's float32 row, piece by piece, to binary16 chunk-major: chunk c of
    /// slot t at activationAddress + (c * count + t) * 2 * VLEN. The DMA FIFO is empty
    /// after each piece's `dwait 0` (the group before has finished its flushes).
    private func convert(tokens count: Int, into b: inout ProgramBuilder) {
        let p = plan
        b.comment("==== a group of \(count) token(s): float32 inputs to binary16")
        b.emit(.lw, .reg(Self.r1), spill(.groupInput))
        b.li(Self.r4, p.activationAddress)
        b.repeatLoop(count, counter: Self.r9, "halfslots") { b in
            b.emit(.addi, .reg(Self.r6), .reg(Self.r4), .imm(0), note: "this slot's first binary16 chunk")
            for piece in 0..<p.pieces {
                let first = piece * p.pieceChunks, n = min(p.pieceChunks, p.chunks - first)
                let floats = piece == p.pieces - 1 ? p.inFeatures - first * vlen : n * vlen
                b.emit(.addi, .reg(Self.r12), .reg(Self.r1), .imm(0))
                b.addConstant(Self.r12, 4 * first * vlen, scratch: Self.r13, note: "x from feature \(first * vlen)")
                b.li(Self.r13, p.inputBufferAddress)
                b.li(Self.r14, 4 * floats)
                b.emit(.dmaa, .reg(Self.r13), .reg(Self.r12), .reg(Self.r14))
                b.emit(.dwait, .imm(0))
                b.emit(.setvl, .reg(.zero), .reg(Self.r7))
                let ragged = piece == p.pieces - 1 && p.lastChunkColumns < vlen
                b.repeatLoop(ragged ? n - 1 : n, counter: Self.r15, "tohalf") { b in
                    convertChunk(tokens: count, into: &b)
                }
                if ragged {
                    b.li(Self.r3, p.lastChunkColumns, note: "the ragged last chunk")
                    b.emit(.setvl, .reg(.zero), .reg(Self.r3))
                    convertChunk(tokens: count, into: &b)
                }
            }
            b.addConstant(Self.r4, 2 * vlen, scratch: Self.r12, note: "the next slot's first chunk")
            b.addConstant(Self.r1, 4 * p.inFeatures, scratch: Self.r13, note: "the next slot's input")
        }
        b.emit(.setvl, .reg(.zero), .reg(Self.r7))
    }

    private func convertChunk(tokens count: Int, into b: inout ProgramBuilder) {
        // (Steps beyond a 16-bit immediate, on a machine of VLEN >= 8192, go through r12 and r14.)
        b.emit(.lda, .reg(.a(0)), .mem(Self.r13, 0))
        b.emit(.sthf, .reg(.a(0)), .mem(Self.r6, 0), note: "round to binary16")
        b.addConstant(Self.r13, 4 * vlen, scratch: Self.r14)
        b.addConstant(Self.r6, 2 * vlen * count, scratch: Self.r12)
    }

    // MARK: Passes

    /// Requests r2 bytes from r1 into the other weight buffer (the first pass: buffer 0) and
    /// advances r1.
    private func request(into b: inout ProgramBuilder, other: Bool = false) {
        if other {
            b.li(Self.r3, plan.passBytes)
            b.emit(.xor, .reg(Self.r14), .reg(Self.r4), .reg(Self.r3), note: "the other weight buffer")
            b.emit(.dmaw, .reg(Self.r14), .reg(Self.r1), .reg(Self.r2), note: "request the next pass (0 bytes after the last)")
        } else {
            b.emit(.dmaw, .reg(Self.r4), .reg(Self.r1), .reg(Self.r2), note: "request the first pass")
        }
        b.emit(.add, .reg(Self.r1), .reg(Self.r1), .reg(Self.r2))
    }

    /// Waits for this pass: behind it are the request just made and, when the pass before
    /// flushed (`pending`), its transfers (one per token); a pass that follows no flush
    /// (`afterFlush` false) knows it without reading `pending`.
    private func waitForPass(tokens count: Int, afterFlush: Bool = true, into b: inout ProgramBuilder) {
        guard afterFlush else {
            b.emit(.dwait, .imm(1), note: "this pass (the next pass behind it)")
            return
        }
        b.dwait(behind: 1, flushTransfers: count, pending: spill(.pending), scratch: Self.r13,
                notes: ("this pass (the last flush and the next pass behind it)", "this pass (the next pass behind it)"))
    }

    /// A pass of `n` whole row blocks: r8 counts the passes left; the next pass is a full
    /// one, the smaller last one (of `lastBlocks`, 0 if none) or nothing.
    private func wholePass(blocks n: Int, lastBlocks: Int, tokens count: Int, into b: inout ProgramBuilder) {
        let p = plan
        b.comment("-- a pass of \(n) row block(s)")
        b.emit(.addi, .reg(Self.r8), .reg(Self.r8), .imm(-1), note: "passes after this one")
        let done = b.label("nextsize")
        b.emit(.addi, .reg(Self.r2), .reg(.zero), .imm(0))
        b.emit(.beq, .reg(Self.r8), .reg(.zero), .label(done), note: "no next pass")
        b.li(Self.r2, p.blocksPerPass * p.blockBytes)
        if lastBlocks > 0 {
            b.emit(.addi, .reg(Self.r3), .reg(.zero), .imm(1))
            b.emit(.bne, .reg(Self.r8), .reg(Self.r3), .label(done), note: "the next pass is a full one ...")
            b.li(Self.r2, lastBlocks * p.blockBytes, note: "... or the smaller last one")
        }
        b.place(done)
        request(into: &b, other: true)
        waitForPass(tokens: count, into: &b)
        b.emit(.addi, .reg(Self.r5), .reg(Self.r4), .imm(0), note: "tiles of this pass")
        for block in 0..<n {
            b.comment("row block \(block) of the pass")
            products(chunks: 0..<p.chunks, tokens: count, into: &b)
            stage(blockInPass: block, tokens: count, into: &b)
        }
        flush(rows: n * rows, tokens: count, into: &b)
        switchBuffer(into: &b)
    }

    /// Pass `piece` of a row block (chunks piece * passChunks ..< ...): r8 counts the blocks
    /// after this one; the next pass is the block's next piece, or the next block's first.
    private func blockPiece(_ piece: Int, tokens count: Int, into b: inout ProgramBuilder) {
        let p = plan
        let first = piece * p.passChunks, range = first..<min(p.chunks, first + p.passChunks)
        let lastPiece = piece == p.passesPerBlock - 1
        b.comment("-- row block piece \(piece): chunks \(range)")
        if lastPiece {
            let done = b.label("nextsize")
            b.emit(.addi, .reg(Self.r2), .reg(.zero), .imm(0))
            b.emit(.beq, .reg(Self.r8), .reg(.zero), .label(done), note: "the last block: no next pass")
            b.li(Self.r2, p.passChunks * tile, note: "the next block's first piece")
            b.place(done)
        } else {
            let next = min(p.chunks, first + 2 * p.passChunks) - (first + p.passChunks)
            b.li(Self.r2, next * tile, note: "the block's next piece")
        }
        request(into: &b, other: true)
        waitForPass(tokens: count, afterFlush: piece == 0, into: &b)
        b.emit(.addi, .reg(Self.r5), .reg(Self.r4), .imm(0), note: "tiles of this pass")
        products(chunks: range, tokens: count, into: &b)
        if lastPiece {
            stage(blockInPass: 0, tokens: count, into: &b)
            flush(rows: rows, tokens: count, into: &b)
        } else {
            b.emit(.sw, .reg(.zero), spill(.pending), note: "no flush behind the next pass")
        }
        switchBuffer(into: &b)
    }

    /// Column chunks `range` of one row block: one `hgemm` per chunk into the group's
    /// accumulators (the block's first chunk an `hgemz`), r5 at the chunk's tile and r6 at its
    /// binary16 vectors; the ragged last chunk at its own vl. vl is VLEN on entry and exit.
    private func products(chunks range: Range<Int>, tokens count: Int, into b: inout ProgramBuilder) {
        let p = plan
        b.li(Self.r6, p.activationAddress + range.lowerBound * count * 2 * vlen, note: "the group's binary16 vectors of the first chunk")
        b.matrixProducts(chunks: range, of: p.chunks, lastChunkColumns: p.lastChunkColumns, vlen: vlen,
                         accumulate: .hgemm, overwrite: .hgemz, first: .a(8 - count), last: .a(7),
                         tile: Self.r5, vectors: Self.r6, counter: Self.r15, scratch: Self.r3, restoreVL: Self.r7, loopName: "hchunks")
    }

    /// The block's sums, per token slot, into its slot of the staging buffer (r11).
    private func stage(blockInPass block: Int, tokens count: Int, into b: inout ProgramBuilder) {
        let p = plan
        b.li(Self.r3, rows)
        b.emit(.setvl, .reg(.zero), .reg(Self.r3))
        for t in 0..<count {
            b.emit(.sta, .reg(.a(8 - count + t)), .mem(Self.r11, t * p.stagingSlotBytes + 4 * rows * block), note: t == 0 ? "float32 outputs" : nil)
        }
        b.emit(.setvl, .reg(.zero), .reg(Self.r7))
    }

    /// Writes the staged outputs of up to `passRows` rows (fewer at the ragged end) of each
    /// token to DRAM with one DMA each, and switches the staging buffer.
    private func flush(rows passRows: Int, tokens count: Int, into b: inout ProgramBuilder) {
        let p = plan
        b.comment("flush: each token's staged rows to DRAM, one DMA each")
        b.emit(.lw, .reg(Self.r13), spill(.rowsLeft))
        b.li(Self.r14, passRows)
        b.emit(.min, .reg(Self.r14), .reg(Self.r13), .reg(Self.r14), note: "rows of this pass")
        b.emit(.sub, .reg(Self.r13), .reg(Self.r13), .reg(Self.r14))
        b.emit(.sw, .reg(Self.r13), spill(.rowsLeft))
        b.emit(.slli, .reg(Self.r14), .reg(Self.r14), .imm(2), note: "bytes per token")
        b.emit(.lw, .reg(Self.r15), spill(.outputCursor))
        b.emit(.addi, .reg(Self.r12), .reg(Self.r11), .imm(0))
        b.writeTokenRows(count, dram: Self.r15, staging: Self.r12, length: Self.r14, slotBytes: p.stagingSlotBytes,
                         rowBytes: 4 * p.outFeatures, scratch: Self.r3)
        b.emit(.lw, .reg(Self.r15), spill(.outputCursor))
        b.emit(.add, .reg(Self.r15), .reg(Self.r15), .reg(Self.r14))
        b.emit(.sw, .reg(Self.r15), spill(.outputCursor))
        b.li(Self.r13, 1)
        b.emit(.sw, .reg(Self.r13), spill(.pending))
        b.li(Self.r13, p.stagingAddress[0] ^ p.stagingAddress[1])
        b.emit(.xor, .reg(Self.r11), .reg(Self.r11), .reg(Self.r13), note: "the other staging buffer")
    }

    /// r4 to the other weight buffer, the next pass's.
    private func switchBuffer(into b: inout ProgramBuilder) {
        b.li(Self.r3, plan.passBytes)
        b.emit(.xor, .reg(Self.r4), .reg(Self.r4), .reg(Self.r3), note: "the next pass's weight buffer")
    }
}
