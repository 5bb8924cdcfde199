import NMPISA
import NMPSimulator

/// The LM head on the machine (ISA.md 11.3): `logits[v] = dot(W[v], y, hidden)` for every
/// vocabulary row of the bf16 or fp16 head, streamed from DRAM in blocks of `rowsPerBlock` rows into
/// two activation-SRAM buffers (double-buffered DMA); the logits of a block are staged and
/// written to DRAM with one DMA.
struct LMHeadPlan: Sendable {
    let vocab: Int, hidden: Int
    let format: TableFormat
    let config: MachineConfig
    let rowsPerBlock: Int
    let input = 64
    let staging: [Int]
    let weights: [Int]

    init(vocab: Int, hidden: Int, format: TableFormat, config: MachineConfig) throws(CompileError) {
        self.vocab = vocab; self.hidden = hidden; self.format = format; self.config = config
        let fixed = AttentionPlan.align(input + 4 * hidden)
        let perRow = 2 * (2 * hidden + 4)
        let fit = (config.activationSRAM.size - fixed - 192) / perRow   // three aligned buffers after the first
        guard fit >= 1 else {
            throw CompileError("the LM head needs \(fixed + 192 + perRow) bytes of activation SRAM (the float32 hidden state and two 16-bit rows of \(hidden)) but the machine has \(config.activationSRAM.size) (field activationSRAM.size)")
        }
        rowsPerBlock = min(vocab, fit >= 4 ? min(fit, 64) / 4 * 4 : fit)
        staging = [fixed, AttentionPlan.align(fixed + 4 * rowsPerBlock)]
        let w0 = AttentionPlan.align(staging[1] + 4 * rowsPerBlock)
        weights = [w0, AttentionPlan.align(w0 + 2 * hidden * rowsPerBlock)]
        precondition(weights[1] + 2 * hidden * rowsPerBlock <= config.activationSRAM.size)
    }
}

struct LMHeadKernel {
    let plan: LMHeadPlan

    private enum Spill: Int { case rowsLeft, output, pending }

    /// Rows computed together: 4 when their offsets fit a 16-bit immediate.
    static func rowsTogether(hidden: Int) -> Int { 3 * 2 * hidden <= 32767 ? 4 : 1 }

    /// `count` rows from r5 (advanced past them): their logits to r6 (advanced).
    private func rows(_ count: Int, into b: inout ProgramBuilder) {
        let p = plan, vlen = p.config.vlen
        b.emit(.setvl, .reg(.zero), .reg(R.r7))
        for r in 0..<count { b.emit(.azero, .reg(.a(3 + r))) }
        b.emit(.addi, .reg(R.r8), .reg(R.r5), .imm(0))
        b.li(R.r14, p.input)
        b.chunks(p.hidden, vlen: vlen, vlenReg: R.r7, counter: R.r9, scratch: R.r12, "head_chunks") { b in
            b.emit(.lda, .reg(.a(2)), .mem(R.r14, 0), note: "a chunk of the hidden state")
            for r in 0..<count {
                b.emit(p.format.load, .reg(.a(0)), .mem(R.r8, r * 2 * p.hidden))
                b.emit(.fvmac, .reg(.a(3 + r)), .reg(.a(0)), .reg(.a(2)))
            }
            b.addConstant(R.r8, 2 * vlen, scratch: R.r13)
            b.addConstant(R.r14, 4 * vlen, scratch: R.r13)
        }
        b.li(R.r12, min(p.hidden, vlen))
        b.emit(.setvl, .reg(.zero), .reg(R.r12))
        for r in 0..<count {
            b.emit(.fsum, .reg(R.r12), .reg(.a(3 + r)))
            b.emit(.sw, .reg(R.r12), .mem(R.r6, 4 * r))
        }
        b.emit(.addi, .reg(R.r6), .reg(R.r6), .imm(4 * count))
        b.addConstant(R.r5, 2 * p.hidden * count, scratch: R.r13)
    }
    private func spill(_ slot: Spill) -> Operand { .mem(.zero, 4 * slot.rawValue) }

    func emit(input: Int, head: Int, logits: Int, into b: inout ProgramBuilder) {
        let p = plan, vlen = p.config.vlen
        b.comment("LM head: \(p.vocab) \(p.format.rawValue) rows of \(p.hidden), \(p.rowsPerBlock) rows per DMA block")
        b.dma(.dmaa, to: p.input, from: input, bytes: 4 * p.hidden, note: "the final hidden state")
        b.li(R.r7, vlen)
        b.li(R.r1, head, wide: true)
        b.li(R.r4, p.weights[0])
        b.li(R.r15, min(p.rowsPerBlock, p.vocab) * 2 * p.hidden)
        b.emit(.dmaa, .reg(R.r4), .reg(R.r1), .reg(R.r15), note: "block 0")
        b.emit(.add, .reg(R.r1), .reg(R.r1), .reg(R.r15))
        b.li(R.r11, p.staging[0])
        b.li(R.r3, p.vocab); b.emit(.sw, .reg(R.r3), spill(.rowsLeft))
        b.li(R.r3, logits, wide: true); b.emit(.sw, .reg(R.r3), spill(.output))
        b.emit(.sw, .reg(.zero), spill(.pending))
        let top = b.label("head_block")
        b.place(top)
        let zero = b.label("head_wait0"), waited = b.label("head_waited")
        b.emit(.lw, .reg(R.r13), spill(.pending))
        b.emit(.beq, .reg(R.r13), .reg(.zero), .label(zero))
        b.emit(.dwait, .imm(1), note: "behind this block's weights: the previous logits")
        b.emit(.jal, .reg(.zero), .label(waited))
        b.place(zero)
        b.emit(.dwait, .imm(0))
        b.place(waited)
        b.emit(.lw, .reg(R.r2), spill(.rowsLeft))
        b.li(R.r10, p.rowsPerBlock)
        b.emit(.min, .reg(R.r10), .reg(R.r10), .reg(R.r2), note: "rows of this block")
        let noPrefetch = b.label("head_last")
        b.emit(.sub, .reg(R.r12), .reg(R.r2), .reg(R.r10), note: "rows after this block")
        b.emit(.beq, .reg(R.r12), .reg(.zero), .label(noPrefetch))
        b.li(R.r13, p.rowsPerBlock)
        b.emit(.min, .reg(R.r12), .reg(R.r12), .reg(R.r13))
        b.li(R.r13, 2 * p.hidden)
        b.emit(.mul, .reg(R.r15), .reg(R.r12), .reg(R.r13))
        b.li(R.r13, p.weights[0] ^ p.weights[1])
        b.emit(.xor, .reg(R.r13), .reg(R.r4), .reg(R.r13))
        b.emit(.dmaa, .reg(R.r13), .reg(R.r1), .reg(R.r15), note: "prefetch the next block")
        b.emit(.add, .reg(R.r1), .reg(R.r1), .reg(R.r15))
        b.place(noPrefetch)
        b.emit(.addi, .reg(R.r5), .reg(R.r4), .imm(0), note: "row pointer")
        b.emit(.addi, .reg(R.r6), .reg(R.r11), .imm(0), note: "logit pointer")
        if Self.rowsTogether(hidden: p.hidden) > 1 {
            // Four rows at a time share each chunk of the hidden state (one `lda` for four
            // rows); each row's own lane partials and tree are as for one row.
            b.emit(.srli, .reg(R.r3), .reg(R.r10), .imm(2))
            b.loop(R.r3, "head_quads") { b in rows(4, into: &b) }
            b.emit(.andi, .reg(R.r3), .reg(R.r10), .imm(3))
            b.loop(R.r3, "head_rows") { b in rows(1, into: &b) }
        } else {
            b.loop(R.r10, "head_rows") { b in rows(1, into: &b) }
        }
        b.emit(.slli, .reg(R.r15), .reg(R.r10), .imm(2))
        b.emit(.lw, .reg(R.r13), spill(.output))
        b.emit(.dmas, .reg(R.r13), .reg(R.r11), .reg(R.r15), note: "this block's logits")
        b.emit(.add, .reg(R.r13), .reg(R.r13), .reg(R.r15))
        b.emit(.sw, .reg(R.r13), spill(.output))
        b.li(R.r13, 1)
        b.emit(.sw, .reg(R.r13), spill(.pending))
        b.li(R.r13, p.weights[0] ^ p.weights[1])
        b.emit(.xor, .reg(R.r4), .reg(R.r4), .reg(R.r13))
        b.li(R.r13, p.staging[0] ^ p.staging[1])
        b.emit(.xor, .reg(R.r11), .reg(R.r11), .reg(R.r13))
        b.emit(.sub, .reg(R.r2), .reg(R.r2), .reg(R.r10))
        b.emit(.sw, .reg(R.r2), spill(.rowsLeft))
        b.emit(.bne, .reg(R.r2), .reg(.zero), .label(top))
        b.emit(.dwait, .imm(0))
    }
}
