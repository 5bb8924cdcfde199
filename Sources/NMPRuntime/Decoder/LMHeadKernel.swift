import NMPISA
import NMPSimulator

/// The LM head on the machine (ISA.md 11.3, 11.5): `logits[v] = dot(W[v], y, hidden)` for
/// every vocabulary row of the bf16 or fp16 head.
///
/// The rows stream from DRAM into a ring of three weight-SRAM buffers of `rowsPerBlock` rows,
/// two blocks always in flight, so the DMA engine never waits for the core. The float32
/// hidden state stays in the activation SRAM. Rows are computed in groups of `groupRows`
/// (one accumulator each, a0 holding the hidden state's chunk): per chunk of VLEN features
/// one `lda` of the hidden state and one `fwmacbf` (`fwmachf`) per row, reading the row's
/// weights straight from the weight SRAM; then one `fsum` per row. The logits of
/// `blocksPerFlush` blocks are staged in one of two activation-SRAM buffers and written with
/// one DMA.
struct LMHeadPlan: Sendable {
    let vocab: Int, hidden: Int
    let format: TableFormat
    let config: MachineConfig
    /// Rows computed together (at most 7: a1 ... a7).
    let groupRows: Int
    /// Groups per block and rows per block (one DMA of `rowsPerBlock * rowBytes`).
    let groupsPerBlock: Int
    var rowsPerBlock: Int { groupRows * groupsPerBlock }
    var rowBytes: Int { 2 * hidden }
    var blockBytes: Int { rowsPerBlock * rowBytes }
    var blocks: Int { (vocab + rowsPerBlock - 1) / rowsPerBlock }
    /// Blocks whose logits are staged before one DMA writes them.
    let blocksPerFlush: Int
    /// Activation SRAM: spill words at 0, the hidden state, two logit staging buffers.
    let input = 64
    let staging: [Int]
    /// Why the plan is smaller than the fastest one, when it is (for the report).
    let note: String?

    /// Weight-SRAM buffer `i` of the ring.
    func buffer(_ i: Int) -> Int { i * blockBytes }

    init(vocab: Int, hidden: Int, format: TableFormat, config: MachineConfig) throws(CompileError) {
        self.vocab = vocab; self.hidden = hidden; self.format = format; self.config = config
        let rowBytes = 2 * hidden
        // Three buffers of whole groups in the weight SRAM; the largest group that fits.
        let rowsInRing = config.weightSRAM.size / (3 * rowBytes)
        guard rowsInRing >= 1 else {
            throw CompileError("the LM head streams its \(format.rawValue) rows through three weight-SRAM buffers of at least one row (\(3 * rowBytes) bytes for a hidden size of \(hidden)) but the machine has \(config.weightSRAM.size) (field weightSRAM.size)")
        }
        groupRows = min(7, rowsInRing, vocab)
        groupsPerBlock = max(1, min(4, rowsInRing / groupRows, (vocab + groupRows - 1) / groupRows))
        let rowsPerBlock = groupRows * groupsPerBlock
        let fixed = AttentionPlan.align(input + 4 * hidden)
        // Two staging buffers of whole blocks, each with room for a ragged last group.
        let perBlock = 4 * rowsPerBlock
        let room = (config.activationSRAM.size - fixed) / 2 - 64
        guard room >= perBlock else {
            throw CompileError("the LM head needs \(fixed + 2 * (perBlock + 64)) bytes of activation SRAM (the float32 hidden state of \(hidden) and two staging buffers of \(rowsPerBlock) logits) but the machine has \(config.activationSRAM.size) (field activationSRAM.size)")
        }
        let neededBlocks = (vocab + rowsPerBlock - 1) / rowsPerBlock
        blocksPerFlush = max(1, min(64, room / perBlock, neededBlocks))
        staging = [fixed, AttentionPlan.align(fixed + blocksPerFlush * perBlock + 64)]
        precondition(staging[1] + blocksPerFlush * perBlock + 64 <= config.activationSRAM.size)
        var notes: [String] = []
        if groupRows < min(7, vocab) {
            notes.append("\(groupRows) rows per group instead of 7: the weight SRAM holds three buffers of \(rowsInRing) rows of \(hidden)")
        }
        if blocksPerFlush < 2 && neededBlocks > 1 {
            notes.append("one block of logits per DMA: the activation SRAM has room for no more")
        }
        note = notes.isEmpty ? nil : "LM head: " + notes.joined(separator: "; ")
    }
}

struct LMHeadKernel {
    let plan: LMHeadPlan

    private enum Spill: Int { case blocksLeft, bytesToFetch, logitsLeft, output, sinceFlush, afterFlush }
    private func spill(_ slot: Spill) -> Operand { .mem(.zero, 4 * slot.rawValue) }

    /// The MAC with the weights straight from the weight SRAM, in the table's format.
    private var mac: Opcode { plan.format == .bf16 ? .fwmacbf : .fwmachf }

    func emit(input: Int, head: Int, logits: Int, into b: inout ProgramBuilder) {
        let p = plan, vlen = p.config.vlen
        b.comment("LM head: \(p.vocab) \(p.format.rawValue) rows of \(p.hidden) in blocks of \(p.rowsPerBlock) (\(p.groupsPerBlock) group(s) of \(p.groupRows)), three weight-SRAM buffers, logits out every \(p.blocksPerFlush) block(s)")
        b.dma(.dmaa, to: p.input, from: input, bytes: 4 * p.hidden, note: "the final hidden state")
        b.emit(.dwait, .imm(0))
        // The first two blocks, then an empty transfer: at the top of every block the FIFO
        // holds [this block, the next, one more], so `dwait 2` (after a flush, whose DMA is
        // the one more) or `dwait 1` waits for exactly this block.
        b.li(R.r11, head, wide: true)
        var fetched = 0
        for k in 0..<2 {
            let bytes = min(p.blockBytes, p.vocab * p.rowBytes - fetched)
            b.li(R.r13, p.buffer(k))
            b.li(R.r15, bytes)
            b.emit(.dmaw, .reg(R.r13), .reg(R.r11), .reg(R.r15), note: "block \(k)")
            b.emit(.add, .reg(R.r11), .reg(R.r11), .reg(R.r15))
            fetched += bytes
        }
        b.emit(.dmaw, .reg(.zero), .reg(R.r11), .reg(.zero), note: "empty: keeps the FIFO three deep")
        b.li(R.r13, p.blocks); b.emit(.sw, .reg(R.r13), spill(.blocksLeft))
        b.li(R.r13, p.vocab * p.rowBytes - fetched, wide: true); b.emit(.sw, .reg(R.r13), spill(.bytesToFetch))
        b.li(R.r13, 4 * p.vocab, wide: true); b.emit(.sw, .reg(R.r13), spill(.logitsLeft))
        b.li(R.r13, logits, wide: true); b.emit(.sw, .reg(R.r13), spill(.output))
        b.emit(.sw, .reg(.zero), spill(.sinceFlush))
        b.li(R.r13, 1); b.emit(.sw, .reg(R.r13), spill(.afterFlush))
        b.li(R.r10, p.buffer(0), note: "this block's weight buffer")
        b.li(R.r12, p.staging[0], note: "where the next logit goes")

        let top = b.label("head_block")
        b.place(top)
        let wait1 = b.label("head_wait1"), waited = b.label("head_waited")
        b.emit(.lw, .reg(R.r13), spill(.afterFlush))
        b.emit(.beq, .reg(R.r13), .reg(.zero), .label(wait1))
        b.emit(.dwait, .imm(2), note: "behind this block: the next one and the last flush")
        b.emit(.sw, .reg(.zero), spill(.afterFlush))
        b.emit(.jal, .reg(.zero), .label(waited))
        b.place(wait1)
        b.emit(.dwait, .imm(1), note: "behind this block: the next one")
        b.place(waited)
        // Prefetch the block after the next into the buffer this block's predecessor used.
        b.emit(.lw, .reg(R.r14), spill(.bytesToFetch))
        b.li(R.r13, p.blockBytes)
        b.emit(.min, .reg(R.r15), .reg(R.r14), .reg(R.r13), note: "bytes of the block after the next (0 past the end)")
        b.emit(.sub, .reg(R.r14), .reg(R.r14), .reg(R.r15))
        b.emit(.sw, .reg(R.r14), spill(.bytesToFetch))
        b.ringBuffer(R.r14, from: R.r10, steps: 2, buffer: p.buffer(1), scratch: R.r13, "head_ring")
        b.emit(.dmaw, .reg(R.r14), .reg(R.r11), .reg(R.r15), note: "prefetch")
        b.emit(.add, .reg(R.r11), .reg(R.r11), .reg(R.r15))

        b.emit(.addi, .reg(R.r1), .reg(R.r10), .imm(0), note: "the first group's first row")
        b.li(R.r13, p.groupsPerBlock)
        b.loop(R.r13, "head_groups") { b in group(vlen: vlen, into: &b) }

        // Next block: rotate the ring; flush the staged logits every blocksPerFlush blocks
        // and after the last block.
        b.ringBuffer(R.r10, from: R.r10, steps: 1, buffer: p.buffer(1), scratch: R.r13, "head_next")
        b.emit(.lw, .reg(R.r2), spill(.blocksLeft))
        b.emit(.addi, .reg(R.r2), .reg(R.r2), .imm(-1))
        b.emit(.sw, .reg(R.r2), spill(.blocksLeft))
        b.emit(.lw, .reg(R.r3), spill(.sinceFlush))
        b.emit(.addi, .reg(R.r3), .reg(R.r3), .imm(1))
        let flush = b.label("head_flush"), staged = b.label("head_staged")
        b.emit(.beq, .reg(R.r2), .reg(.zero), .label(flush))
        b.li(R.r13, p.blocksPerFlush)
        b.emit(.beq, .reg(R.r3), .reg(R.r13), .label(flush))
        b.emit(.sw, .reg(R.r3), spill(.sinceFlush))
        b.emit(.jal, .reg(.zero), .label(staged))
        b.place(flush)
        b.li(R.r14, p.staging[0])
        b.li(R.r6, p.staging[1])
        let first = b.label("head_first")
        b.emit(.bltu, .reg(R.r12), .reg(R.r6), .label(first))
        b.emit(.addi, .reg(R.r14), .reg(R.r6), .imm(0))
        b.place(first)
        b.emit(.sub, .reg(R.r15), .reg(R.r12), .reg(R.r14), note: "bytes staged (a ragged last group's extra rows too)")
        b.emit(.lw, .reg(R.r4), spill(.logitsLeft))
        b.emit(.min, .reg(R.r15), .reg(R.r15), .reg(R.r4), note: "the real logits")
        b.emit(.sub, .reg(R.r4), .reg(R.r4), .reg(R.r15))
        b.emit(.sw, .reg(R.r4), spill(.logitsLeft))
        b.emit(.lw, .reg(R.r5), spill(.output))
        b.emit(.dmas, .reg(R.r5), .reg(R.r14), .reg(R.r15), note: "the staged logits")
        b.emit(.add, .reg(R.r5), .reg(R.r5), .reg(R.r15))
        b.emit(.sw, .reg(R.r5), spill(.output))
        b.emit(.sw, .reg(.zero), spill(.sinceFlush))
        b.li(R.r13, 1)
        b.emit(.sw, .reg(R.r13), spill(.afterFlush))
        b.li(R.r13, p.staging[0] ^ p.staging[1])
        b.emit(.xor, .reg(R.r12), .reg(R.r14), .reg(R.r13), note: "the other staging buffer")
        if p.blocksPerFlush < 2 {
            // The other buffer's flush may still be in the FIFO: wait for everything.
            b.emit(.dwait, .imm(0))
            b.emit(.sw, .reg(.zero), spill(.afterFlush))
        }
        b.place(staged)
        b.emit(.bne, .reg(R.r2), .reg(.zero), .label(top))
        b.emit(.dwait, .imm(0))
    }

    /// One group of `groupRows` rows from x[r1] (advanced past them): logits to x[r12]
    /// (advanced). Chunk loop: `lda` of the hidden state's chunk, the offset advance, one MAC
    /// per row at x[row] + x[r8]; each row's lanes keep partial sums, reduced by `fsum`.
    private func group(vlen: Int, into b: inout ProgramBuilder) {
        let p = plan, rows = p.groupRows
        b.li(R.r13, p.rowBytes)
        for r in 1..<rows { b.emit(.add, .reg(Reg.r(r + 1)), .reg(Reg.r(r)), .reg(R.r13)) }
        b.li(R.r14, vlen)
        b.emit(.setvl, .reg(.zero), .reg(R.r14))
        for r in 0..<rows { b.emit(.azero, .reg(.a(1 + r))) }
        b.li(R.r8, -2 * vlen, note: "weight offset, advanced before use")
        b.li(R.r9, p.input, note: "the hidden state")
        // Chunks in pairs (one pointer advance of the hidden state per pair), then a last
        // full chunk when their count is odd, then the ragged rest.
        func chunk(_ offset: Int, into b: inout ProgramBuilder) {
            b.emit(.lda, .reg(.a(0)), .mem(R.r9, offset), note: "a chunk of the hidden state")
            b.emit(.addi, .reg(R.r8), .reg(R.r8), .imm(2 * vlen))
            for r in 0..<rows {
                b.emit(mac, .reg(.a(1 + r)), .reg(.a(0)), .reg(Reg.r(1 + r)), .reg(R.r8))
            }
        }
        let full = p.hidden / vlen, paired = 4 * vlen <= 32767   // the second chunk's 16-bit offset
        b.repeatLoop(paired ? full / 2 : 0, counter: R.r13, "head_chunks") { b in
            chunk(0, into: &b)
            chunk(4 * vlen, into: &b)
            b.addConstant(R.r9, 8 * vlen, scratch: R.r15)
        }
        b.repeatLoop(paired ? full % 2 : full, counter: R.r13, "head_chunk") { b in
            chunk(0, into: &b)
            b.addConstant(R.r9, 4 * vlen, scratch: R.r15)
        }
        if p.hidden % vlen != 0 {
            b.li(R.r15, p.hidden % vlen, note: "the ragged last chunk")
            b.emit(.setvl, .reg(.zero), .reg(R.r15))
            chunk(0, into: &b)
            b.emit(.setvl, .reg(.zero), .reg(R.r14))
        }
        b.li(R.r15, min(p.hidden, vlen))
        b.emit(.setvl, .reg(.zero), .reg(R.r15))
        for r in 0..<rows {
            b.emit(.fsum, .reg(Reg.r(2 + r % 2 * 11)), .reg(.a(1 + r)))
            if r > 0 { b.emit(.sw, .reg(Reg.r(2 + (r - 1) % 2 * 11)), .mem(R.r12, 4 * (r - 1))) }
        }
        b.emit(.sw, .reg(Reg.r(2 + (rows - 1) % 2 * 11)), .mem(R.r12, 4 * (rows - 1)))
        b.emit(.addi, .reg(R.r12), .reg(R.r12), .imm(4 * rows))
        b.addConstant(R.r1, rows * p.rowBytes, scratch: R.r13)
    }
}
