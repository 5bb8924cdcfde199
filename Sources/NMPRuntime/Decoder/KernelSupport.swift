import NMPISA
import NMPSimulator

/// Registers the float kernels use by convention (each kernel starts from nothing: its
/// inputs are in DRAM, it leaves its outputs in DRAM and drains its DMA before it ends).
enum R {
    static let r1 = Reg.r(1), r2 = Reg.r(2), r3 = Reg.r(3), r4 = Reg.r(4), r5 = Reg.r(5), r6 = Reg.r(6)
    static let r7 = Reg.r(7), r8 = Reg.r(8), r9 = Reg.r(9), r10 = Reg.r(10), r11 = Reg.r(11), r12 = Reg.r(12)
    static let r13 = Reg.r(13), r14 = Reg.r(14), r15 = Reg.r(15)
}

extension ProgramBuilder {
    /// `body` over `n` elements (a constant) in chunks of VLEN lanes: a hardware loop over
    /// the full chunks at vl = VLEN, then the ragged rest at vl = n mod VLEN; vl is VLEN
    /// again afterwards. The body advances its own pointers. `vlenReg` holds VLEN.
    mutating func chunks(_ n: Int, vlen: Int, vlenReg: Reg, counter: Reg, scratch: Reg, _ name: String,
                         _ body: (inout ProgramBuilder) -> Void) {
        emit(.setvl, .reg(.zero), .reg(vlenReg))
        repeatLoop(n / vlen, counter: counter, name, body)
        if n % vlen != 0 {
            li(scratch, n % vlen, note: "the ragged last chunk")
            emit(.setvl, .reg(.zero), .reg(scratch))
            body(&self)
            emit(.setvl, .reg(.zero), .reg(vlenReg))
        }
    }

    /// `body` over `n` elements (a constant) like `chunks`, but `group` full chunks at a time
    /// (`body(&b, group)` in a hardware loop), so that each chunk's load and float latencies
    /// hide behind the others' work; then the full chunks left as one body and the ragged
    /// rest (`body(&b, 1)` at vl = n mod VLEN). A body of k chunks addresses them at offsets
    /// 0, 4 VLEN, ... from its pointers and advances them; `group` drops to 1 when those
    /// offsets do not fit an immediate. vl = VLEN afterwards.
    mutating func chunkGroups(_ n: Int, group: Int, vlen: Int, vlenReg: Reg, counter: Reg, scratch: Reg, _ name: String,
                              _ body: (inout ProgramBuilder, Int) -> Void) {
        let group = 4 * vlen * (group - 1) <= 32767 ? max(1, group) : 1
        let full = n / vlen
        emit(.setvl, .reg(.zero), .reg(vlenReg))
        repeatLoop(full / group, counter: counter, group > 1 ? name + "\(group)" : name) { b in body(&b, group) }
        if full % group > 0 { body(&self, full % group) }
        if n % vlen != 0 {
            li(scratch, n % vlen, note: "the ragged last chunk")
            emit(.setvl, .reg(.zero), .reg(scratch))
            body(&self, 1)
            emit(.setvl, .reg(.zero), .reg(vlenReg))
        }
    }

    /// full = x[n] / VLEN and rest = x[n] mod VLEN: a shift and a mask when VLEN is a power of
    /// two (one cycle each, where `divu` takes `divLatency`), else `divu`, `mul` and `sub`.
    mutating func splitChunks(count n: Reg, vlenReg: Reg, vlen: Int, full: Reg, rest: Reg) {
        if vlen.nonzeroBitCount == 1 && vlen <= 65536 {
            emit(.srli, .reg(full), .reg(n), .imm(vlen.trailingZeroBitCount), note: "full chunks")
            emit(.andi, .reg(rest), .reg(n), .imm(vlen - 1), note: "elements in the ragged last chunk")
        } else {
            emit(.divu, .reg(full), .reg(n), .reg(vlenReg))
            emit(.mul, .reg(rest), .reg(full), .reg(vlenReg))
            emit(.sub, .reg(rest), .reg(n), .reg(rest), note: "elements in the ragged last chunk")
        }
    }

    /// `body` over `x[n]` elements (a register), like `chunks`: the full chunks
    /// (`splitChunks`) in a hardware loop (a count of 0 skips it), then the ragged rest if
    /// any. Uses `full` and `rest` as scratch; ends with vl = VLEN (an instruction after the
    /// branch target, so the sequence may end a loop body).
    mutating func chunks(count n: Reg, vlenReg: Reg, vlen: Int, full: Reg, rest: Reg, _ name: String,
                         _ body: (inout ProgramBuilder) -> Void) {
        splitChunks(count: n, vlenReg: vlenReg, vlen: vlen, full: full, rest: rest)
        emit(.setvl, .reg(.zero), .reg(vlenReg))
        loop(full, name, body)
        let skip = label(name + "_even")
        emit(.beq, .reg(rest), .reg(.zero), .label(skip))
        emit(.setvl, .reg(.zero), .reg(rest))
        body(&self)
        place(skip)
        emit(.setvl, .reg(.zero), .reg(vlenReg))
    }

    /// A DMA of a constant length between constant addresses (`dmaa`, `dmas` or `dmaw`);
    /// the DRAM side is loaded wide (`li(_:_:wide:)`).
    mutating func dma(_ op: Opcode, to destination: Int, from source: Int, bytes: Int, note: String? = nil) {
        li(R.r13, destination, wide: op == .dmas)
        li(R.r14, source, wide: op != .dmas)
        li(R.r15, bytes)
        emit(op, .reg(R.r13), .reg(R.r14), .reg(R.r15), note: note)
    }
}

extension ProgramBuilder {
    /// A DMA of `bytes` between the DRAM address in `dram` and the constant activation-SRAM
    /// address `sram`: `dmaa` brings data in, `dmas` takes it out (uses r13 and r15).
    mutating func transfer(_ op: Opcode, dram: Reg, sram: Int, bytes: Int, note: String? = nil) {
        li(R.r13, sram)
        li(R.r15, bytes)
        if op == .dmas {
            emit(.dmas, .reg(dram), .reg(R.r13), .reg(R.r15), note: note)
        } else {
            emit(.dmaa, .reg(R.r13), .reg(dram), .reg(R.r15), note: note)
        }
    }
}

extension ProgramBuilder {
    /// `target = (base + steps * buffer) mod (3 * buffer)` for a ring of three weight-SRAM
    /// buffers of `buffer` bytes at 0, buffer, 2 * buffer (`steps` 1 or 2; `base` and `target`
    /// may be one register; uses `scratch`).
    mutating func ringBuffer(_ target: Reg, from base: Reg, steps: Int, buffer: Int, scratch: Reg, _ name: String) {
        li(scratch, steps * buffer)
        emit(.add, .reg(target), .reg(base), .reg(scratch))
        li(scratch, 3 * buffer)
        let inRing = label(name)
        emit(.bltu, .reg(target), .reg(scratch), .label(inRing))
        emit(.sub, .reg(target), .reg(target), .reg(scratch))
        place(inRing)
    }

    /// The first two passes of a softmax over the float32 row at asram `row` of x[count]
    /// elements (ISA.md 11.2 step 5): the maximum (a lane-wise running `fvmax`, then `frmax`:
    /// a maximum in any order), then e = exp(s - max) in place with lane partial sums in chunk
    /// order (`fsubs`, `fexp`, `sta`, `fvadd`), two chunks per iteration so that one chunk's
    /// loads overlap the other's latencies, and r11 = 1 / sum (`fsum`, `fdiv`). x[vlenReg] =
    /// VLEN; uses r4, r11 ... r15, a0 ... a3; vl = VLEN afterwards.
    mutating func softmaxExponentials(row: Int, count: Reg, vlenReg: Reg, vlen: Int, _ name: String) {
        li(R.r12, Int(Float(-Float.infinity).bitPattern), note: "-inf")
        emit(.setvl, .reg(.zero), .reg(vlenReg))
        emit(.abcast, .reg(.a(3)), .reg(R.r12), note: "lane-wise running max = -inf")
        li(R.r4, row)
        chunks(count: count, vlenReg: vlenReg, vlen: vlen, full: R.r13, rest: R.r14, name + "max") { b in
            b.emit(.lda, .reg(.a(0)), .mem(R.r4, 0))
            b.emit(.fvmax, .reg(.a(3)), .reg(.a(3)), .reg(.a(0)))
            b.addConstant(R.r4, 4 * vlen, scratch: R.r15)
        }
        emit(.min, .reg(R.r13), .reg(count), .reg(vlenReg))
        emit(.setvl, .reg(.zero), .reg(R.r13))
        emit(.frmax, .reg(R.r12), .reg(.a(3)), note: "the maximum")
        li(R.r4, row)
        emit(.setvl, .reg(.zero), .reg(vlenReg))
        emit(.azero, .reg(.a(1)))
        func exponentials(_ registers: [Reg], into b: inout ProgramBuilder) {
            for (i, a) in registers.enumerated() { b.emit(.lda, .reg(a), .mem(R.r4, 4 * vlen * i)) }
            for a in registers { b.emit(.fsubs, .reg(a), .reg(a), .reg(R.r12), note: "score - max") }
            for a in registers { b.emit(.fexp, .reg(a), .reg(a)) }
            for (i, a) in registers.enumerated() { b.emit(.sta, .reg(a), .mem(R.r4, 4 * vlen * i)) }
            for a in registers { b.emit(.fvadd, .reg(.a(1)), .reg(.a(1)), .reg(a), note: "lane partial sums, in chunk order") }
            b.addConstant(R.r4, 4 * vlen * registers.count, scratch: R.r15)
        }
        // Full chunks in pairs when the second one's offset fits an immediate, then the rest.
        let paired = 4 * vlen <= 32767
        splitChunks(count: count, vlenReg: vlenReg, vlen: vlen, full: R.r13, rest: R.r14)
        if paired {
            emit(.srli, .reg(R.r11), .reg(R.r13), .imm(1))
            loop(R.r11, name + "exp2") { b in exponentials([.a(0), .a(2)], into: &b) }
            emit(.andi, .reg(R.r13), .reg(R.r13), .imm(1))
        }
        loop(R.r13, name + "exp") { b in exponentials([.a(0)], into: &b) }
        let even = label(name + "exp_even")
        emit(.beq, .reg(R.r14), .reg(.zero), .label(even))
        emit(.setvl, .reg(.zero), .reg(R.r14))
        exponentials([.a(0)], into: &self)
        place(even)
        emit(.min, .reg(R.r13), .reg(count), .reg(vlenReg))
        emit(.setvl, .reg(.zero), .reg(R.r13))
        emit(.fsum, .reg(R.r11), .reg(.a(1)))
        emit(.setvl, .reg(.zero), .reg(vlenReg))
        li(R.r12, float: 1)
        emit(.fdiv, .reg(R.r11), .reg(R.r12), .reg(R.r11), note: "1 / sum")
    }
}

extension ProgramBuilder {
    /// `softmaxExponentials` over `rows` (1 ... 4) float32 rows of x[count] elements, the
    /// first at asram `row`, the others `stride` bytes apart (an immediate offset), computed
    /// together: each pass's instructions for the rows back to back, so that one row's load,
    /// exp and reduction latencies pass during the others' work (one row alone takes the
    /// single-row schedule). Every row's operations and their order are the single row's.
    /// Returns the registers holding each row's 1 / sum (r11 for one row; r1, r3, r5, r6).
    /// x[vlenReg] = VLEN; uses r4, r11 ... r15, a0 ... a7 and the returned registers; vl =
    /// VLEN afterwards.
    mutating func softmaxExponentials(rows k: Int, row: Int, stride: Int, count: Reg, vlenReg: Reg, vlen: Int,
                                      _ name: String) -> [Reg] {
        precondition((1...4).contains(k) && (k - 1) * stride <= 32767)
        if k == 1 {
            softmaxExponentials(row: row, count: count, vlenReg: vlenReg, vlen: vlen, name)
            return [R.r11]
        }
        let scalars = Array([R.r1, R.r3, R.r5, R.r6].prefix(k))
        let temporaries = (0..<k).map { Reg.a($0) }, partials = (0..<k).map { Reg.a(4 + $0) }
        li(R.r12, Int(Float(-Float.infinity).bitPattern), note: "-inf")
        emit(.setvl, .reg(.zero), .reg(vlenReg))
        for a in partials { emit(.abcast, .reg(a), .reg(R.r12), note: "lane-wise running max = -inf") }
        li(R.r4, row)
        chunks(count: count, vlenReg: vlenReg, vlen: vlen, full: R.r13, rest: R.r14, name + "max") { b in
            for (i, a) in temporaries.enumerated() { b.emit(.lda, .reg(a), .mem(R.r4, i * stride)) }
            for (m, a) in zip(partials, temporaries) { b.emit(.fvmax, .reg(m), .reg(m), .reg(a)) }
            b.addConstant(R.r4, 4 * vlen, scratch: R.r15)
        }
        emit(.min, .reg(R.r13), .reg(count), .reg(vlenReg))
        emit(.setvl, .reg(.zero), .reg(R.r13))
        for (s, m) in zip(scalars, partials) { emit(.frmax, .reg(s), .reg(m), note: "the maximum") }
        li(R.r4, row)
        emit(.setvl, .reg(.zero), .reg(vlenReg))
        for a in partials { emit(.azero, .reg(a)) }
        chunks(count: count, vlenReg: vlenReg, vlen: vlen, full: R.r13, rest: R.r14, name + "exp") { b in
            for (i, a) in temporaries.enumerated() { b.emit(.lda, .reg(a), .mem(R.r4, i * stride)) }
            for (a, s) in zip(temporaries, scalars) { b.emit(.fsubs, .reg(a), .reg(a), .reg(s), note: "score - max") }
            for a in temporaries { b.emit(.fexp, .reg(a), .reg(a)) }
            for (i, a) in temporaries.enumerated() { b.emit(.sta, .reg(a), .mem(R.r4, i * stride)) }
            for (p, a) in zip(partials, temporaries) { b.emit(.fvadd, .reg(p), .reg(p), .reg(a), note: "lane partial sums, in chunk order") }
            b.addConstant(R.r4, 4 * vlen, scratch: R.r15)
        }
        emit(.min, .reg(R.r13), .reg(count), .reg(vlenReg))
        emit(.setvl, .reg(.zero), .reg(R.r13))
        for (s, p) in zip(scalars, partials) { emit(.fsum, .reg(s), .reg(p)) }
        emit(.setvl, .reg(.zero), .reg(vlenReg))
        li(R.r12, float: 1)
        for s in scalars { emit(.fdiv, .reg(s), .reg(R.r12), .reg(s), note: "1 / sum") }
        return scalars
    }
}

extension ProgramBuilder {
    /// The start of an attention kernel: the spill words of its token loop (the keys the
    /// first token attends, the query and output addresses, the tokens left), then the top of
    /// the loop, where the token's query row (`width` float32) comes in to asram `queryRow`,
    /// drained unless `waits` is false (a kernel whose first `dwait` is behind it in the FIFO
    /// and whose every read of the row comes after that). Returns the loop's label
    /// (`attentionTokenEnd` closes it).
    mutating func attentionTokenStart(keys: Int, tokens: Int, query: Int, output: Int, queryRow: Int, width: Int,
                                      spills: (keys: Operand, queryAddress: Operand, outputAddress: Operand, tokensLeft: Operand),
                                      waits: Bool = true, _ name: String) -> Label {
        li(R.r3, keys); emit(.sw, .reg(R.r3), spills.keys)
        li(R.r3, query, wide: true); emit(.sw, .reg(R.r3), spills.queryAddress)
        li(R.r3, output, wide: true); emit(.sw, .reg(R.r3), spills.outputAddress)
        li(R.r3, tokens); emit(.sw, .reg(R.r3), spills.tokensLeft)
        let top = label(name)
        place(top)
        li(R.r13, queryRow)
        emit(.lw, .reg(R.r14), spills.queryAddress)
        li(R.r15, 4 * width)
        emit(.dmaa, .reg(R.r13), .reg(R.r14), .reg(R.r15), note: "this token's rotated queries")
        if waits { emit(.dwait, .imm(0)) }
        return top
    }

    /// The end of an attention kernel's token: its output row (`width` float32 at asram
    /// `outputRow`) to DRAM at the address in `outputAddress`, drained unless `waits` is false
    /// (a kernel that next writes the row after a `dwait` behind it, and drains at its end);
    /// the query and output addresses advance a row and the key count one; the next token
    /// while `tokensLeft` (decremented) is not 0. Spill words are addressed by the operands.
    mutating func attentionTokenEnd(outputRow: Int, width: Int, queryAddress: Operand, outputAddress: Operand, keys: Operand,
                                    tokensLeft: Operand, waits: Bool = true, next tokenTop: Label) {
        li(R.r13, outputRow)
        emit(.lw, .reg(R.r14), outputAddress)
        li(R.r15, 4 * width)
        emit(.dmas, .reg(R.r14), .reg(R.r13), .reg(R.r15), note: "this token's attention output")
        if waits { emit(.dwait, .imm(0)) }
        for (slot, step) in [(queryAddress, 4 * width), (outputAddress, 4 * width), (keys, 1)] {
            emit(.lw, .reg(R.r3), slot)
            addConstant(R.r3, step, scratch: R.r12)
            emit(.sw, .reg(R.r3), slot)
        }
        emit(.lw, .reg(R.r3), tokensLeft)
        emit(.addi, .reg(R.r3), .reg(R.r3), .imm(-1))
        emit(.sw, .reg(R.r3), tokensLeft)
        emit(.bne, .reg(R.r3), .reg(.zero), .label(tokenTop), note: "next query token")
    }
}

/// Activation-SRAM space a kernel needs, checked before code is built.
func requireActivationSRAM(_ bytes: Int, _ config: MachineConfig, for what: String) throws(CompileError) {
    guard bytes <= config.activationSRAM.size else {
        throw CompileError("\(what) needs \(bytes) bytes of activation SRAM but the machine has \(config.activationSRAM.size) (field activationSRAM.size)")
    }
}

extension TableFormat {
    /// The load that converts a table's elements to float32 (ISA.md 7.12).
    var load: Opcode { self == .bf16 ? .ldbf : .ldhf }
}

extension ProgramBuilder {
    /// Adds a schedule note (a smaller schedule a kernel chose because the machine's SRAMs are
    /// small) once: the kernels run once per layer.
    mutating func note(_ text: String) {
        if !scheduleNotes.contains(text) { scheduleNotes.append(text) }
    }
}
