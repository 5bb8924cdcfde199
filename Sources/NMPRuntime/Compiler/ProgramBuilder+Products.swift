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
