import NMPISA

extension ProgramBuilder {
    /// Column chunks `range` (of `chunks`) of one row block as matrix products (ISA.md 6.12)
    /// into accumulators `first` ... `last`: `overwrite` (`mgemz`, `hgemz`) for the block's
    /// first chunk, so no `azero` is needed, then a hardware loop of `accumulate` (`mgemm`,
    /// `hgemm`) on `counter`; the products advance their own pointers `tile` and `vectors`.
    /// A ragged last chunk (`lastChunkColumns` < VLEN) runs at its own vl, set through
    /// `scratch`; `restoreVL`, when given, holds VLEN to set afterwards. vl is VLEN on entry.
    mutating func matrixProducts(chunks range: Range<Int>, of chunks: Int, lastChunkColumns: Int, vlen: Int,
                                 accumulate: Opcode, overwrite: Opcode, first: Reg, last: Reg, tile: Reg, vectors: Reg,
                                 counter: Reg, scratch: Reg, restoreVL: Reg? = nil, loopName: String) {
        guard !range.isEmpty else { return }
        let ragged = lastChunkColumns < vlen && range.upperBound == chunks
        var full = range.count - (ragged ? 1 : 0)
        if range.lowerBound == 0 && full > 0 {
            emit(overwrite, .reg(first), .reg(last), .reg(tile), .reg(vectors), note: "the block's first chunk")
            full -= 1
        }
        repeatLoop(full, counter: counter, loopName) { b in
            b.emit(accumulate, .reg(first), .reg(last), .reg(tile), .reg(vectors))
        }
        if ragged {
            li(scratch, lastChunkColumns, note: "the ragged last chunk")
            emit(.setvl, .reg(.zero), .reg(scratch))
            emit(range.lowerBound == 0 && range.count == 1 ? overwrite : accumulate, .reg(first), .reg(last), .reg(tile), .reg(vectors))
            if let restoreVL { emit(.setvl, .reg(.zero), .reg(restoreVL)) }
        }
    }
}

extension ProgramBuilder {
    /// A layer's loop over token groups: `full` groups of `tokens` (a loop counted down in the
    /// spill word `groupsLeft` through `scratch` when there are several, so that the code
    /// does not grow with the prompt), then a last group of `lastTokens` (0: none). `group`
    /// emits one group given its index (nil inside the loop, where it is fullGroups -
    /// groupsLeft) and token count; `advance` moves the group's addresses on, `looping`
    /// when it is the loop's step (else after a single full group, before the last one).
    mutating func tokenGroups(full: Int, tokens: Int, lastTokens: Int, groupsLeft: Operand, scratch: Reg, label name: String,
                              group: (inout ProgramBuilder, _ index: Int?, _ tokens: Int) -> Void,
                              advance: (inout ProgramBuilder, _ looping: Bool) -> Void) {
        if full > 1 {
            li(scratch, full); emit(.sw, .reg(scratch), groupsLeft)
            let top = label(name)
            place(top)
            group(&self, nil, tokens)
            advance(&self, true)
            emit(.lw, .reg(scratch), groupsLeft)
            emit(.addi, .reg(scratch), .reg(scratch), .imm(-1))
            emit(.sw, .reg(scratch), groupsLeft)
            emit(.bne, .reg(scratch), .reg(.zero), .label(top), note: "more full groups")
        } else if full == 1 {
            group(&self, 0, tokens)
            if lastTokens > 0 { advance(&self, false) }
        }
        if lastTokens > 0 {
            comment("the last, partial group of \(lastTokens) token(s)")
            group(&self, full, lastTokens)
        }
    }
}

extension ProgramBuilder {
    /// Waits until `behind` DMA transfers are outstanding, or `behind` + `flushTransfers`
    /// when the spill word `pending` (read through `scratch`) says a flush was enqueued ahead
    /// of them: the FIFO completes in order (ISA.md 6.5), so either waits exactly for the
    /// transfer in front.
    mutating func dwait(behind: Int, flushTransfers: Int, pending: Operand, scratch: Reg, notes: (flush: String, none: String)) {
        let noFlush = label("wait"), waited = label("waited")
        emit(.lw, .reg(scratch), pending)
        emit(.beq, .reg(scratch), .reg(.zero), .label(noFlush))
        emit(.dwait, .imm(behind + flushTransfers), note: notes.flush)
        emit(.jal, .reg(.zero), .label(waited))
        place(noFlush)
        emit(.dwait, .imm(behind), note: notes.none)
        place(waited)
    }

    /// One `dmas` per token slot of a group of `count`: `length` bytes from `staging` +
    /// t * `slotBytes` to `dram` + t * `rowBytes`; both registers end at the last slot's
    /// (`scratch` carries a row step beyond a 16-bit immediate).
    mutating func writeTokenRows(_ count: Int, dram: Reg, staging: Reg, length: Reg, slotBytes: Int, rowBytes: Int, scratch: Reg) {
        for t in 0..<count {
            if t > 0 {
                emit(.addi, .reg(staging), .reg(staging), .imm(slotBytes))
                addConstant(dram, rowBytes, scratch: scratch)
            }
            emit(.dmas, .reg(dram), .reg(staging), .reg(length))
        }
    }
}
