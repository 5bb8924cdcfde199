import NMPISA
import NMPSimulator

/// Emits the microprogram of a `BitLinearPlan` into a `ProgramBuilder`.
///
/// A loop over token groups; per group: (1) for each token (one copy of the code, a loop over
/// the slots when there are several), absmax over its float32 input (`famax`, `fmax`), the
/// scale s = (1 / max(m, 1e-5)) * 127 (`fdiv`, `fmul`, the order torch computes `127 / t`
/// in), and the int8 codes (`fq`), stored chunk-major so that a chunk's codes of all the
/// group's tokens lie VLEN bytes apart (with two row buffers, each slot's row streams in
/// while the slot before it is quantized, and the first pass of weights behind the last
/// row: `prefetchingSlots`); (2) a hardware loop over the passes of
/// `blocksPerPass` row blocks: request the next pass's part, wait for this one's, then per
/// row block a hardware loop of one `mgemm` per column chunk (ISA.md 7.8: the tile read
/// once, the group's tokens streamed past it into a(8-n) ... a7, both pointers advanced by
/// the instruction; the first chunk an `mgemz`, which overwrites), and the block's float32
/// outputs Float(acc) / s * gamma staged per token (`fdq`); every `outputBatch` passes each
/// token's staged rows go to DRAM with one DMA. A group that `splits` multiplies each block in
/// two halves with their own accumulators and codes (`splitPass`), so that the asynchronous
/// array (ISA.md 6.12) works on one half's products while the core stages the other's sums.
///
/// Waiting for weights: the DMA FIFO completes in order (ISA.md 6.5). At the top of a pass
/// that follows a flush, the FIFO holds the pass's weights (requested a pass earlier) and
/// then the flush's transfers, so `dwait <transfers of a flush>` waits exactly for the
/// weights; at other passes `dwait 0` does. The next pass is requested right after: its
/// data flows once the current pass's has arrived (the pipelined DMA overlaps its latency),
/// so the DRAM channel stays busy while the core multiplies. A staging buffer is rewritten
/// two batches after its flush, by which time a `dwait` has passed that transfer.
///
/// Scalar registers: r1 DRAM address of the next pass to request, r2 and r8 the next pass's
/// part sizes, r3 scratch, r4 the weight-SRAM buffer of the current pass, r5 tile pointer,
/// r6 int8 code pointer, r7 VLEN, r9 loop counts, r10 gamma, r11 staging buffer, r12
/// staging write pointer (and input addresses while quantizing), r13-r15 scratch; staging a
/// block loads the group's scales into r2, r3, r6, r8, r9, r13-r15. While a group of several
/// tokens quantizes, r1, r2 and r4 walk its slots (and the `cursor` spill word holds the
/// slot's row buffer when there are two). Counters and addresses beyond these live
/// in the plan's spill words. Accumulators a(8-n) ... a7 belong to the group's n tokens;
/// while quantizing, a6, a7, v6 and v7 are scratch.
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
        b.comment("BitLinear \(p.inFeatures) -> \(p.outFeatures) over \(p.tokens) token(s): \(p.blocks) row block(s) in passes of \(p.blocksPerPass) x \(p.chunks) column chunk(s), groups of \(p.group) token(s)")
        if let note = p.note { b.comment("fallback: \(note)") }
        b.li(Self.r7, vlen, note: "VLEN: lanes per column chunk")
        b.li(Self.r10, float: weightScale, note: "gamma, the weight scale (float32 bits)")
        b.li(Self.r3, input, wide: true); b.emit(.sw, .reg(Self.r3), spill(.groupInput))
        b.li(Self.r3, output, wide: true); b.emit(.sw, .reg(Self.r3), spill(.groupOutput))
        b.li(Self.r3, sums, wide: true); b.emit(.sw, .reg(Self.r3), spill(.groupSums))
        b.tokenGroups(full: p.fullGroups, tokens: p.group, lastTokens: p.lastGroupTokens, groupsLeft: spill(.groupsLeft),
                      scratch: Self.r3, label: "group",
                      group: { b, _, count in group(tokens: count, into: &b) },
                      advance: { b, looping in
            if looping { b.comment("next group: advance the input and output addresses") }
            for (slot, stride) in [(Spill.groupInput, p.inFeatures), (.groupOutput, p.outFeatures), (.groupSums, p.outFeatures)] {
                b.emit(.lw, .reg(Self.r3), spill(slot))
                b.addConstant(Self.r3, 4 * stride * p.group, scratch: Self.r13)
                b.emit(.sw, .reg(Self.r3), spill(slot))
            }
        })
        b.emit(.dwait, .imm(0), note: "the last outputs reach DRAM")
    }

    // MARK: A group of tokens

    private func group(tokens count: Int, into b: inout ProgramBuilder) {
        let requested = quantizeGroup(tokens: count, into: &b)
        multiply(tokens: count, requested: requested, into: &b)
    }

    /// A group's absmax, scales and int8 codes; returns whether the first pass of weights
    /// was requested on the way (then r1 and r4 are set for the multiply).
    private func quantizeGroup(tokens count: Int, into b: inout ProgramBuilder) -> Bool {
        b.comment("==== a group of \(count) token(s): absmax, scale, int8 codes")
        // One token whose input is one piece: the first pass of weights streams behind the
        // input while the core quantizes.
        let early = count == 1 && plan.pieces == 1
        if count == 1 {
            quantize(slot: 0, of: 1, requestWeights: early, into: &b)
        } else if plan.prefetchesSlots {
            prefetchingSlots(count, into: &b)
            b.li(Self.r1, weights + firstPassBytes, wide: true, note: "the DRAM address of the second pass")
            b.emit(.addi, .reg(Self.r4), .reg(.zero), .imm(0), note: "weight SRAM buffer 0")
            return true
        } else {
            // One copy of the code for all slots: r1 walks the slots' inputs in DRAM, r2 their
            // scales, r4 their first codes (registers the multiply sets up afresh).
            b.emit(.lw, .reg(Self.r1), spill(.groupInput))
            b.li(Self.r2, plan.scalesAddress)
            b.li(Self.r4, plan.quantizedAddress)
            b.repeatLoop(count, counter: Self.r5, "slots") { b in
                quantize(slot: nil, of: count, requestWeights: false, into: &b)
                b.addConstant(Self.r1, 4 * plan.inFeatures, scratch: Self.r13, note: "the next slot's input")
                nextSlotCodes(of: count, into: &b)
                b.emit(.addi, .reg(Self.r2), .reg(Self.r2), .imm(4))
            }
        }
        return early
    }

    // MARK: Layers that share their input

    /// BitLinears on one input (q, k and v; gate and up) in one loop over token groups: the
    /// first quantizes each group and multiplies it, the others multiply the same int8 codes
    /// and scales (one quantization per group instead of one per layer). Each layer's code
    /// is in its region of `regions`; a layer's outputs for group g start at its output
    /// address + g * group * 4 * outFeatures. The plans must share the quantization
    /// (`BitLinearPlan.sharesQuantization(with:)`).
    static func emitShared(_ layers: [BitLinearCodegen], regions: [String], into b: inout ProgramBuilder) {
        let first = layers[0], p = first.plan
        precondition(layers.count == regions.count && layers.dropFirst().allSatisfy { $0.plan.sharesQuantization(with: p) },
                     "layers that do not share their quantization")
        precondition(p.spillAddress + 32 <= 32767, "spill words beyond a 16-bit offset")
        b.enterRegion(regions[0])
        b.comment("BitLinears \(layers.map { "\($0.plan.inFeatures) -> \($0.plan.outFeatures)" }.joined(separator: ", ")) on one input over \(p.tokens) token(s), groups of \(p.group) token(s): one quantization per group")
        for layer in layers { if let note = layer.plan.note { b.comment("fallback: \(note)") } }
        b.li(r7, p.config.vlen, note: "VLEN: lanes per column chunk")
        b.li(r3, first.input, wide: true); b.emit(.sw, .reg(r3), first.spill(.groupInput))
        func group(_ index: Int?, tokens count: Int, into b: inout ProgramBuilder) {
            for (i, (layer, region)) in zip(layers, regions).enumerated() {
                b.enterRegion(region)
                layer.setGroupOutput(index, into: &b)
                b.li(r10, float: layer.weightScale, note: "gamma, the weight scale (float32 bits)")
                if i == 0 {
                    let requested = layer.quantizeGroup(tokens: count, into: &b)
                    layer.multiply(tokens: count, requested: requested, into: &b)
                } else {
                    b.comment("the int8 codes and scales of \(regions[0]), on the same input")
                    layer.multiply(tokens: count, requested: false, into: &b)
                }
            }
        }
        func advance(_ b: inout ProgramBuilder) {
            b.emit(.lw, .reg(r3), first.spill(.groupInput))
            b.addConstant(r3, 4 * p.inFeatures * p.group, scratch: r13)
            b.emit(.sw, .reg(r3), first.spill(.groupInput))
        }
        b.tokenGroups(full: p.fullGroups, tokens: p.group, lastTokens: p.lastGroupTokens, groupsLeft: first.spill(.groupsLeft),
                      scratch: r3, label: "sharedgroup",
                      group: { b, index, count in group(index, tokens: count, into: &b) },
                      advance: { b, looping in
            if looping {
                b.enterRegion(regions[regions.count - 1])
                b.comment("next group: advance the input address")
            }
            advance(&b)
        })
        b.emit(.dwait, .imm(0), note: "the last outputs reach DRAM")
    }

    /// The `groupOutput` spill word for group `index`, or (nil) for the group that the
    /// `groupsLeft` spill word counts down: g = fullGroups - groupsLeft.
    private func setGroupOutput(_ index: Int?, into b: inout ProgramBuilder) {
        let stride = plan.group * 4 * plan.outFeatures
        if let index {
            b.li(Self.r3, output + index * stride, wide: true)
        } else {
            b.emit(.lw, .reg(Self.r3), spill(.groupsLeft))
            b.li(Self.r13, plan.fullGroups)
            b.emit(.sub, .reg(Self.r3), .reg(Self.r13), .reg(Self.r3), note: "this group's index")
            b.li(Self.r13, stride, wide: true)
            b.emit(.mul, .reg(Self.r3), .reg(Self.r3), .reg(Self.r13))
            b.li(Self.r13, output, wide: true)
            b.emit(.add, .reg(Self.r3), .reg(Self.r3), .reg(Self.r13), note: "this layer's outputs of the group")
        }
        b.emit(.sw, .reg(Self.r3), spill(.groupOutput))
    }

    /// The slots of a group of `count` >= 2 tokens whose rows alternate between the plan's
    /// two row buffers (the current one's address in the `cursor` spill word, free until the
    /// multiply): slot 0's row is requested first, and each slot requests the next slot's row
    /// before it waits for its own, so that the row streams while the slot before it is
    /// quantized. The last-but-one slot requests the first pass of weights behind the last
    /// row (the FIFO then holds at most this row, the next, and the pass's two parts: the
    /// queue depth of 4 is not exceeded by the code's own transfers), so that the weights
    /// stream during the last two quantizations. The FIFO completes in order: behind this
    /// slot's row are the next slot's (`dwait 1`), plus the two parts of the pass at the
    /// last-but-one slot (`dwait 3`), only those at the last (`dwait 2`). Anything older,
    /// such as the last group's output flush, is ahead of the row and done when it is.
    private func prefetchingSlots(_ count: Int, into b: inout ProgramBuilder) {
        let p = plan
        let rowBytes = 4 * p.inFeatures, toggle = p.inputBufferAddress ^ (p.secondInputAddress ?? p.inputBufferAddress)
        b.emit(.lw, .reg(Self.r1), spill(.groupInput))
        b.li(Self.r2, p.scalesAddress)
        b.li(Self.r4, p.quantizedAddress)
        b.li(Self.r13, p.inputBufferAddress, note: "slot 0's row into the first row buffer")
        b.emit(.sw, .reg(Self.r13), spill(.cursor))
        b.li(Self.r14, rowBytes)
        b.emit(.dmaa, .reg(Self.r13), .reg(Self.r1), .reg(Self.r14))
        b.repeatLoop(count, counter: Self.r5, "slots") { b in
            b.comment("-- the next token slot: request the next slot's row, then wait for this one's")
            let last = b.label("lastslot"), weightsToo = b.label("weightstoo"), ready = b.label("rowready")
            b.li(Self.r13, p.scalesAddress + 4 * (count - 1))
            b.emit(.beq, .reg(Self.r2), .reg(Self.r13), .label(last), note: "the last slot: no next row")
            b.emit(.lw, .reg(Self.r13), spill(.cursor))
            b.li(Self.r14, toggle)
            b.emit(.xor, .reg(Self.r13), .reg(Self.r13), .reg(Self.r14), note: "the other row buffer")
            b.emit(.addi, .reg(Self.r12), .reg(Self.r1), .imm(0))
            b.addConstant(Self.r12, rowBytes, scratch: Self.r14, note: "the next slot's row")
            b.li(Self.r14, rowBytes)
            b.emit(.dmaa, .reg(Self.r13), .reg(Self.r12), .reg(Self.r14))
            b.li(Self.r13, p.scalesAddress + 4 * (count - 2))
            b.emit(.beq, .reg(Self.r2), .reg(Self.r13), .label(weightsToo), note: "the last-but-one slot: the weights too")
            b.emit(.dwait, .imm(1), note: "this slot's row (the next one keeps streaming)")
            b.emit(.jal, .reg(.zero), .label(ready))
            b.place(weightsToo)
            requestFirstPass(pointers: false, into: &b)
            b.emit(.dwait, .imm(3), note: "this slot's row (the next one and the first pass keep streaming)")
            b.emit(.jal, .reg(.zero), .label(ready))
            b.place(last)
            b.emit(.dwait, .imm(2), note: "this slot's row (the first pass keeps streaming)")
            b.place(ready)
            quantize(slot: nil, of: count, requestWeights: false, prefetched: true, into: &b)
            b.emit(.lw, .reg(Self.r13), spill(.cursor))
            b.li(Self.r14, toggle)
            b.emit(.xor, .reg(Self.r13), .reg(Self.r13), .reg(Self.r14))
            b.emit(.sw, .reg(Self.r13), spill(.cursor), note: "the next slot's row buffer")
            b.addConstant(Self.r1, rowBytes, scratch: Self.r13, note: "the next slot's input")
            nextSlotCodes(of: count, into: &b)
            b.emit(.addi, .reg(Self.r2), .reg(Self.r2), .imm(4))
        }
    }

    /// r4 to the next slot's first code (r2 still at this slot's scale): VLEN on, and at the
    /// first slot of a split group's second half, on to that half's codes.
    private func nextSlotCodes(of count: Int, into b: inout ProgramBuilder) {
        if splits(count) {
            let h = count / 2, within = b.label("samehalf")
            b.li(Self.r13, plan.scalesAddress + 4 * (h - 1))
            b.emit(.bne, .reg(Self.r2), .reg(Self.r13), .label(within), note: "not the first half's last slot")
            b.addConstant(Self.r4, (h * plan.chunks - h) * vlen, scratch: Self.r14, note: "the second half's codes")
            b.place(within)
        }
        b.emit(.addi, .reg(Self.r4), .reg(Self.r4), .imm(vlen), note: "the next slot's codes")
    }

    /// Bytes of the first pass of weights (both parts).
    private var firstPassBytes: Int {
        let n = plan.fullPasses > 0 ? plan.blocksPerPass : plan.lastPassBlocks
        return (parts(blocks: n).0 + parts(blocks: n).1) * plan.config.tileBytes
    }

    /// Column chunks of a pass's first part (the second has the rest; each part is one DMA).
    private var partChunks: (Int, Int) { let a = (plan.chunks + 1) / 2; return (a, plan.chunks - a) }

    /// Requests both parts of the first pass of weights into buffer 0 (with r12-r14 as
    /// scratch); with `pointers`, then r4 = 0 and r1 = the DRAM address after the pass.
    private func requestFirstPass(pointers: Bool = true, into b: inout ProgramBuilder) {
        let p = plan, tile = p.config.tileBytes
        let n = p.fullPasses > 0 ? p.blocksPerPass : p.lastPassBlocks
        b.li(Self.r12, weights, wide: true)
        b.li(Self.r14, parts(blocks: n).0 * tile, note: "bytes of the first pass's first part")
        b.emit(.dmaw, .reg(.zero), .reg(Self.r12), .reg(Self.r14), note: "pass 0, part 0 (weight SRAM buffer 0)")
        b.emit(.add, .reg(Self.r12), .reg(Self.r12), .reg(Self.r14))
        b.emit(.addi, .reg(Self.r13), .reg(Self.r14), .imm(0))
        b.li(Self.r14, parts(blocks: n).1 * tile, note: "and of its second part")
        b.emit(.dmaw, .reg(Self.r13), .reg(Self.r12), .reg(Self.r14), note: "pass 0, part 1")
        if pointers {
            b.emit(.add, .reg(Self.r1), .reg(Self.r12), .reg(Self.r14), note: "the DRAM address of the second pass")
            b.emit(.addi, .reg(Self.r4), .reg(.zero), .imm(0), note: "weight SRAM buffer 0")
        }
    }

    /// Token slot `slot` of a group of `count`: its absmax, scale and int8 codes, chunk c at
    /// quantizedAddress + (c * count + slot) * VLEN (chunk-major: `mgemm` reads a chunk's
    /// vectors of all the group's tokens VLEN bytes apart). A nil slot is the slot of the
    /// loop over slots: its input's DRAM address in r1, its scale's address in r2 and its
    /// first codes' in r4.
    private func quantize(slot: Int?, of count: Int, requestWeights: Bool, prefetched: Bool = false, into b: inout ProgramBuilder) {
        let p = plan
        if !prefetched { b.comment(slot.map { "-- token slot \($0)" } ?? "-- the next token slot") }
        b.emit(.addi, .reg(Self.r11), .reg(.zero), .imm(0), note: "running max |x| = +0.0")
        for piece in 0..<p.pieces { inputPiece(slot: slot, piece: piece, absmax: true, codeStride: codeStride(count), requestWeights: requestWeights, prefetched: prefetched, into: &b) }
        b.li(Self.r15, float: 1e-5, note: "clamp(min=1e-5)")
        b.emit(.fmax, .reg(Self.r11), .reg(Self.r11), .reg(Self.r15))
        b.li(Self.r15, float: 1.0)
        b.emit(.fdiv, .reg(Self.r11), .reg(Self.r15), .reg(Self.r11), note: "1 / max: torch computes 127 / t as reciprocal(t) * 127")
        b.li(Self.r15, float: 127.0)
        b.emit(.fmul, .reg(Self.r11), .reg(Self.r11), .reg(Self.r15), note: "s = (1 / max) * 127")
        if let slot {
            b.li(Self.r13, p.scalesAddress + 4 * slot)
            b.emit(.sw, .reg(Self.r11), .mem(Self.r13, 0), note: "keep s for the dequantization")
            b.li(Self.r6, firstCode(slot: slot, of: count), note: "int8 codes of this slot")
        } else {
            b.emit(.sw, .reg(Self.r11), .mem(Self.r2, 0), note: "keep s for the dequantization")
            b.emit(.addi, .reg(Self.r6), .reg(Self.r4), .imm(0), note: "int8 codes of this slot")
        }
        for piece in 0..<p.pieces { inputPiece(slot: slot, piece: piece, absmax: false, codeStride: codeStride(count), prefetched: prefetched, into: &b) }
    }

    /// The activation-SRAM buffer of input piece `piece`.
    /// The activation-SRAM buffer of a token's `read`-th piece transfer: its rows' pieces are
    /// read twice, for the absmax (reads 0 ..< pieces) and for the codes (pieces ..< 2 * pieces),
    /// and the buffers rotate over the reads.
    private func inputBuffer(_ read: Int) -> Int { plan.inputBufferAddress + (read % plan.inputBuffers) * plan.pieceChunks * 4 * vlen }

    /// Requests a token slot's `read`-th piece transfer (see `quantize` and `inputBuffer`).
    private func requestPiece(slot: Int?, read: Int, into b: inout ProgramBuilder) {
        let p = plan, piece = read % p.pieces
        let firstChunk = piece * p.pieceChunks
        let floats = piece == p.pieces - 1 ? p.inFeatures - firstChunk * vlen : p.pieceChunks * vlen
        if let slot {
            b.emit(.lw, .reg(Self.r12), spill(.groupInput))
            b.addConstant(Self.r12, 4 * (slot * p.inFeatures + firstChunk * vlen), scratch: Self.r13,
                          note: "x of slot \(slot) from feature \(firstChunk * vlen)")
        } else {
            b.emit(.addi, .reg(Self.r12), .reg(Self.r1), .imm(0))
            b.addConstant(Self.r12, 4 * firstChunk * vlen, scratch: Self.r13, note: "x of this slot from feature \(firstChunk * vlen)")
        }
        b.li(Self.r13, inputBuffer(read))
        b.li(Self.r14, 4 * floats)
        b.emit(.dmaa, .reg(Self.r13), .reg(Self.r12), .reg(Self.r14))
    }

    /// One piece of a token's float32 input: DMA it in (unless the whole row is one piece
    /// already there from the absmax pass; with two buffers the next piece is requested
    /// before this one is waited for), then run the pass over its chunks.
    private func inputPiece(slot: Int?, piece: Int, absmax: Bool, codeStride: Int, requestWeights: Bool = false, prefetched: Bool = false, into b: inout ProgramBuilder) {
        let p = plan
        let firstChunk = piece * p.pieceChunks
        let chunkCount = min(p.pieceChunks, p.chunks - firstChunk)
        let lastPiece = piece == p.pieces - 1
        let read = absmax ? piece : p.pieces + piece, reads = 2 * p.pieces
        if prefetched {
            // The slot's row is in and waited for (`prefetchingSlots`); its buffer alternates.
        } else if p.inputBuffers > 1 {
            // Up to `ahead` reads stream behind this one (the codes pass's first ones behind the
            // absmax pass's last); read + ahead goes into the buffer of read - 1, which is done.
            let ahead = p.inputBuffers - 1
            let requests = read == 0 ? Array(0...min(ahead, reads - 1)) : read + ahead < reads ? [read + ahead] : []
            for next in requests { requestPiece(slot: slot, read: next, into: &b) }
            let behind = min(ahead, reads - 1 - read)
            b.emit(.dwait, .imm(behind), note: behind > 0 ? "this piece (the next ones keep streaming)" : nil)
        } else if absmax || p.pieces > 1 {
            requestPiece(slot: slot, read: read, into: &b)
            if requestWeights && absmax {
                requestFirstPass(into: &b)
                b.emit(.dwait, .imm(2), note: "the input (the weights behind it keep streaming)")
            } else {
                b.emit(.dwait, .imm(0))
            }
        }
        if prefetched {
            b.emit(.lw, .reg(Self.r13), spill(.cursor), note: "this slot's row buffer")
        } else {
            b.li(Self.r13, inputBuffer(read))
        }
        b.li(Self.r3, 4 * vlen, note: "float32 bytes per chunk")
        b.emit(.setvl, .reg(.zero), .reg(Self.r7))
        let full = lastPiece && raggedChunk ? chunkCount - 1 : chunkCount
        // Two chunks per iteration (a6/v6 and a7/v7; the absmax keeps a second running
        // maximum in r14), so that each load's latency hides behind the other's port cycles.
        let pairs = 8 * vlen <= 32767 ? full / 2 : 0
        if absmax && pairs > 0 { b.emit(.addi, .reg(Self.r14), .reg(.zero), .imm(0), note: "second running max |x|") }
        b.repeatLoop(pairs, counter: Self.r9, absmax ? "max" : "quant") { b in
            pairBody(absmax: absmax, codeStride: codeStride, into: &b)
        }
        b.repeatLoop(full - 2 * pairs, counter: Self.r9, absmax ? "max" : "quant") { b in
            body(absmax: absmax, advance: true, codeStride: codeStride, into: &b)
        }
        if lastPiece && raggedChunk {
            b.li(Self.r9, p.lastChunkColumns, note: "the ragged last chunk")
            b.emit(.setvl, .reg(.zero), .reg(Self.r9))
            body(absmax: absmax, advance: false, codeStride: codeStride, into: &b)
        }
        if absmax && pairs > 0 { b.emit(.fmax, .reg(Self.r11), .reg(Self.r11), .reg(Self.r14)) }
    }

    private func pairBody(absmax: Bool, codeStride: Int, into b: inout ProgramBuilder) {
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
            b.emit(.stv, .reg(.v(7)), .mem(Self.r6, codeStride))
            b.emit(.addi, .reg(Self.r6), .reg(Self.r6), .imm(2 * codeStride))
        }
        b.emit(.addi, .reg(Self.r13), .reg(Self.r13), .imm(8 * vlen))
    }

    private func body(absmax: Bool, advance: Bool, codeStride: Int, into b: inout ProgramBuilder) {
        b.emit(.lda, .reg(.a(6)), .mem(Self.r13, 0))
        if absmax {
            b.emit(.famax, .reg(Self.r15), .reg(.a(6)))
            b.emit(.fmax, .reg(Self.r11), .reg(Self.r11), .reg(Self.r15))
        } else {
            b.emit(.fq, .reg(.v(6)), .reg(.a(6)), .reg(Self.r11), note: "clamp(round_half_even(x * s), -128, 127)")
            b.emit(.stv, .reg(.v(6)), .mem(Self.r6, 0))
            if advance { b.emit(.addi, .reg(Self.r6), .reg(Self.r6), .imm(codeStride)) }
        }
        if advance { b.emit(.add, .reg(Self.r13), .reg(Self.r13), .reg(Self.r3)) }
    }

    // MARK: The ternary product and the outputs

    /// Whether a group of `count` tokens multiplies in two halves of count / 2 tokens, each
    /// with its own accumulators (a0 ... and a4 ...), so that the array works on one half's
    /// products while the core stages the other's sums (ISA.md 6.12): when a half has at
    /// least as many tokens as a tile takes weight-SRAM cycles, so that the array stays at
    /// its peak (k = max(tile cycles, tokens)), and its products keep the array busy for at
    /// least 32 cycles, about what the staging of the other half and a row block's set-up
    /// take (shorter halves leave the array idle in between: 3 chunks of 4 tokens measured
    /// 9 % slower split than whole).
    private func splits(_ count: Int) -> Bool {
        let port = plan.config.weightSRAM.banks * plan.config.weightSRAM.bankWidth
        return count >= 4 && count % 2 == 0 && (plan.config.tileBytes + port - 1) / port <= count / 2 && plan.chunks * (count / 2) >= 32
    }

    /// The tokens of half `half` of a group of `count` (the whole group when it does not split).
    private func tokens(ofHalf half: Int, of count: Int) -> Range<Int> {
        guard splits(count) else { return 0..<count }
        return half == 0 ? 0..<(count / 2) : (count / 2)..<count
    }

    /// Bytes from one chunk's code of a token to its next chunk's: the tokens of its half
    /// (or group) lie VLEN apart within a chunk.
    private func codeStride(_ count: Int) -> Int { (splits(count) ? count / 2 : count) * vlen }

    /// The first code of half `half`: a split group keeps each half's codes chunk-major on
    /// their own, the first half's before the second's, so that `mgemm` walks a half's chunks
    /// N * VLEN bytes at a time.
    private func codes(half: Int, of count: Int) -> Int {
        plan.quantizedAddress + (half == 0 ? 0 : (count / 2) * plan.chunks * vlen)
    }

    /// The code of chunk 0 of token slot `t`.
    private func firstCode(slot t: Int, of count: Int) -> Int {
        guard splits(count) else { return plan.quantizedAddress + t * vlen }
        let h = count / 2
        return codes(half: t / h, of: count) + (t % h) * vlen
    }

    /// The accumulator of token slot `t` in a group of `count`: the tokens of a half take
    /// a0 ... and a4 ...; a group that does not split takes a(8 - count) ... a7.
    private func accumulator(_ t: Int, of count: Int) -> Reg {
        guard splits(count) else { return .a(8 - count + t) }
        let h = count / 2
        return t < h ? .a(t) : .a(4 + t - h)
    }

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
        if splits(count) {
            // Each pass stages the last half of the pass before it and writes its outputs
            // after its own first products (`splitPass`): the first pass is on its own, and
            // the last pass's last half and outputs follow the passes.
            let first = p.fullPasses > 0 ? p.blocksPerPass : p.lastPassBlocks
            splitPass(blocks: first, after: nil, tokens: count, into: &b)
            if p.fullPasses >= 2 {
                b.repeatLoop(p.fullPasses - 1, counter: Self.r9, "passes") { b in
                    splitPass(blocks: p.blocksPerPass, after: p.blocksPerPass, tokens: count, into: &b)
                }
            }
            if p.fullPasses > 0 && p.lastPassBlocks > 0 {
                b.comment("the last pass, of \(p.lastPassBlocks) row block(s)")
                splitPass(blocks: p.lastPassBlocks, after: p.blocksPerPass, tokens: count, into: &b)
            }
            let last = p.lastPassBlocks > 0 ? p.lastPassBlocks : p.blocksPerPass
            b.comment("the last pass's last half and outputs")
            stage(block: last - 1, tokens: count, half: 1, into: &b)
            outputs(blocks: last, tokens: count, into: &b)
            return
        }
        b.repeatLoop(p.fullPasses, counter: Self.r9, "passes") { b in
            pass(blocks: p.blocksPerPass, tokens: count, into: &b)
        }
        if p.lastPassBlocks > 0 {
            b.comment("the last pass, of \(p.lastPassBlocks) row block(s)")
            pass(blocks: p.lastPassBlocks, tokens: count, into: &b)
        }
    }

    /// Tiles in the two DMA parts of a pass of `n` row blocks: one block each when there are
    /// two, else the first and the second half of the block's column chunks.
    private func parts(blocks n: Int) -> (Int, Int) { n == 2 ? (plan.chunks, plan.chunks) : partChunks }

    /// One pass of `n` row blocks (block-major tiles) in two parts, each one DMA transfer. At
    /// the top of part j the code requests part j of the next pass (0 bytes after the last
    /// pass, so that every pass counts the same transfers) into the other buffer, whose pass
    /// is done, and then waits for its own part j: behind it in the FIFO are the rest of this
    /// pass, the last flush's transfers if there was one, and the next pass's parts up to j,
    /// so `dwait 2 (+ flush)`. The DRAM channel so always has a part queued behind the one
    /// arriving, and a pass's compute never waits for more than half of it to arrive.
    /// Each block is an `mgemz` for its first column chunk and a hardware loop of one `mgemm`
    /// per further chunk (ISA.md 7.8): the group's tokens stream past each tile, the tile and
    /// vector pointers advance by themselves. Its outputs are staged right after it, before
    /// the next block reuses the accumulators.
    private func pass(blocks n: Int, tokens count: Int, into b: inout ProgramBuilder) {
        nextPassSizes(blocks: n, into: &b)
        requestNextFirstPart(into: &b)
        waitForPart(tokens: count, into: &b)
        b.emit(.addi, .reg(Self.r5), .reg(Self.r4), .imm(0), note: "tiles of this pass")
        let split = parts(blocks: n).0
        for block in 0..<n {
            b.comment("row block \(block) of the pass: \(plan.chunks) chunk(s), tokens \(count) per tile")
            b.emit(.setvl, .reg(.zero), .reg(Self.r7))
            b.li(Self.r6, plan.quantizedAddress, note: "the group's int8 codes, chunk-major")
            // The chunks of this block before and after the pass's part boundary.
            let first = block * plan.chunks, before = max(0, min(plan.chunks, split - first))
            gemm(chunks: 0..<before, tokens: count, into: &b)
            if before > 0 && first + before == split {
                requestSecondPart(into: &b)
                if before == plan.chunks { stage(block: block, tokens: count, into: &b) }
                waitForPart(tokens: count, into: &b)
                b.emit(.sw, .reg(.zero), spill(.pending), note: "the last flush is behind both parts")
                if before == plan.chunks { continue }
                b.emit(.setvl, .reg(.zero), .reg(Self.r7))
            }
            gemm(chunks: before..<plan.chunks, tokens: count, into: &b)
            stage(block: block, tokens: count, into: &b)
        }
        outputs(blocks: n, tokens: count, into: &b)
    }

    /// A pass of a group that multiplies in halves (`splits`): per row block, the first
    /// half's products, then the second's, each half's sums staged after the next half's
    /// products are issued, while the array works on those (ISA.md 6.12). After the pass's
    /// first products come the last half of the pass before (of `previous` blocks; nil for the
    /// first pass) and that pass's outputs, then the request of the next pass's first part:
    /// by then the array has finished the products that read the buffer it goes to (a
    /// transfer into bytes a queued product still reads would wait for them), and a flush is
    /// ahead of it in the FIFO. So the pass waits for its own first part with one transfer
    /// behind it, and the flush is behind the second part's wait as before.
    private func splitPass(blocks n: Int, after previous: Int?, tokens count: Int, into b: inout ProgramBuilder) {
        let p = plan
        nextPassSizes(blocks: n, uncounted: previous ?? 0, into: &b)
        waitForPart(tokens: count, behind: 1, into: &b)
        b.emit(.addi, .reg(Self.r5), .reg(Self.r4), .imm(0), note: "tiles of this pass")
        let split = parts(blocks: n).0
        var staged: (block: Int, half: Int)?
        var requested = false
        /// Requests the next pass's second part and waits for this pass's.
        func crossing(_ b: inout ProgramBuilder) {
            requestSecondPart(into: &b)
            waitForPart(tokens: count, into: &b)
            b.emit(.sw, .reg(.zero), spill(.pending), note: "the last flush is behind both parts")
        }
        for block in 0..<n {
            // The pass's part boundary inside this block (its first half waits for the second
            // part there, the second half finds it in), or right after it.
            let first = block * p.chunks, before = max(0, min(p.chunks, split - first))
            let crossesInside = before > 0 && before < p.chunks && first + before == split
            let crossesAfter = before == p.chunks && first + before == split
            for half in 0..<2 {
                b.comment("row block \(block) of the pass, tokens \(tokens(ofHalf: half, of: count)) of the group: \(p.chunks) chunk(s)")
                b.emit(.setvl, .reg(.zero), .reg(Self.r7))
                b.li(Self.r6, codes(half: half, of: count), note: "this half's int8 codes, chunk-major")
                if half == 1 {
                    b.li(Self.r3, block * p.blockBytes)
                    b.emit(.add, .reg(Self.r5), .reg(Self.r4), .reg(Self.r3), note: "the block's first tile again")
                }
                let splitHere = crossesInside && half == 0
                gemm(chunks: 0..<(splitHere ? before : p.chunks), tokens: count, half: half, into: &b)
                if !requested {
                    if let previous {
                        b.comment("the last half of the pass before, and its outputs")
                        stage(block: previous - 1, tokens: count, half: 1, into: &b)
                        outputs(blocks: previous, tokens: count, switchBuffer: false, into: &b)
                    }
                    requestNextFirstPart(into: &b)
                    requested = true
                }
                if splitHere {
                    crossing(&b)
                    b.emit(.setvl, .reg(.zero), .reg(Self.r7))
                    gemm(chunks: before..<p.chunks, tokens: count, half: half, into: &b)
                }
                if let staged { stage(block: staged.block, tokens: count, half: staged.half, into: &b) }
                staged = (block, half)
                if crossesAfter && half == 1 { crossing(&b) }
            }
        }
        switchWeightBuffer(into: &b)
    }

    /// r4 to the other weight buffer, the next pass's.
    private func switchWeightBuffer(into b: inout ProgramBuilder) {
        b.li(Self.r3, plan.passBytes)
        b.emit(.xor, .reg(Self.r4), .reg(Self.r4), .reg(Self.r3), note: "the next pass's weight buffer")
    }

    /// Sets r2 and r8 to the sizes of the next pass's two parts (0: no next pass); `uncounted`
    /// blocks of the pass before have not been taken off the rows left yet.
    private func nextPassSizes(blocks n: Int, uncounted: Int = 0, into b: inout ProgramBuilder) {
        let p = plan, tile = p.config.tileBytes
        let full = parts(blocks: p.blocksPerPass), last = parts(blocks: p.lastPassBlocks)
        b.comment("one pass of \(n) row block(s): the next pass's part sizes (0: no next pass)")
        let none = b.label("nonext")
        b.emit(.lw, .reg(Self.r13), spill(.rowsLeft))
        b.li(Self.r14, (n + uncounted) * rows)
        b.emit(.sub, .reg(Self.r13), .reg(Self.r13), .reg(Self.r14), note: "rows after this pass")
        b.emit(.addi, .reg(Self.r2), .reg(.zero), .imm(0))
        b.emit(.addi, .reg(Self.r8), .reg(.zero), .imm(0))
        b.emit(.bge, .reg(.zero), .reg(Self.r13), .label(none))
        b.li(Self.r2, full.0 * tile)
        b.li(Self.r8, full.1 * tile)
        if p.lastPassBlocks > 0 {
            b.li(Self.r14, (p.blocksPerPass - 1) * rows)
            b.emit(.blt, .reg(Self.r14), .reg(Self.r13), .label(none), note: "the next pass is a full one ...")
            b.li(Self.r2, last.0 * tile, note: "... or the smaller last one")
            b.li(Self.r8, last.1 * tile)
        }
        b.place(none)
    }

    /// Requests part 0 of the next pass into the other buffer (r2 bytes; 0 after the last).
    private func requestNextFirstPart(into b: inout ProgramBuilder) {
        b.li(Self.r3, plan.passBytes)
        b.emit(.xor, .reg(Self.r14), .reg(Self.r4), .reg(Self.r3), note: "the other weight buffer")
        b.emit(.dmaw, .reg(Self.r14), .reg(Self.r1), .reg(Self.r2), note: "request part 0 of the next pass")
        b.emit(.add, .reg(Self.r1), .reg(Self.r1), .reg(Self.r2))
    }

    /// Requests part 1 of the next pass: behind part 0 in the other buffer.
    private func requestSecondPart(into b: inout ProgramBuilder) {
        b.li(Self.r3, plan.passBytes)
        b.emit(.xor, .reg(Self.r14), .reg(Self.r4), .reg(Self.r3), note: "the other weight buffer")
        b.emit(.add, .reg(Self.r14), .reg(Self.r14), .reg(Self.r2))
        b.emit(.dmaw, .reg(Self.r14), .reg(Self.r1), .reg(Self.r8), note: "request part 1 of the next pass")
        b.emit(.add, .reg(Self.r1), .reg(Self.r1), .reg(Self.r8))
    }

    /// Waits for the current part: `behind` transfers are behind it (the rest of the pass
    /// and the next pass's parts requested so far), plus the last flush's.
    private func waitForPart(tokens count: Int, behind: Int = 2, into b: inout ProgramBuilder) {
        b.dwait(behind: behind, flushTransfers: count * transfersPerFlush, pending: spill(.pending), scratch: Self.r13,
                notes: ("behind this part: the rest of the pass, the last flush, the next pass's parts",
                        "behind this part: the rest of the pass and the next pass's parts"))
    }

    /// Column chunks `range` of a row block: one `mgemm` each (r5 at the chunk's tile, r6 at
    /// its vectors; both advance), the ragged last chunk at its own vl; the block's first
    /// chunk is an `mgemz`, which overwrites the accumulators (no `azero` before). vl is VLEN
    /// on entry.
    private func gemm(chunks range: Range<Int>, tokens count: Int, half: Int = 0, into b: inout ProgramBuilder) {
        let slots = tokens(ofHalf: half, of: count)
        b.matrixProducts(chunks: range, of: plan.chunks, lastChunkColumns: plan.lastChunkColumns, vlen: vlen,
                         accumulate: .mgemm, overwrite: .mgemz,
                         first: accumulator(slots.lowerBound, of: count), last: accumulator(slots.upperBound - 1, of: count),
                         tile: Self.r5, vectors: Self.r6, counter: Self.r15, scratch: Self.r3, loopName: "chunks")
    }

    /// Stages block `block` of the pass: Float(acc) / s * gamma (`fdq`; and the int32 sums when
    /// the plan writes them) of each token slot at vl = ROWS, in its slot of the staging
    /// buffer. The eight scales are loaded into the registers the tile loop does not need
    /// here; the `fdq`s of all tokens come before their stores, so that their latencies
    /// overlap. A ragged block's extra lanes are zero sums, staged past its rows (inside the
    /// slot) and never written to DRAM.
    private func stage(block: Int, tokens count: Int, half: Int? = nil, into b: inout ProgramBuilder) {
        let p = plan
        let offset = 4 * rows * block, sumsOffset = p.outputBatch * p.blocksPerPass * rows * 4
        b.li(Self.r3, rows)
        b.emit(.setvl, .reg(.zero), .reg(Self.r3))
        let slots: Range<Int>, scales: [Reg]
        if let half {
            // Four scale registers the products and the next pass's requests do not need
            // (r2, r8: the next pass's part sizes; r5, r6: the product pointers).
            slots = tokens(ofHalf: half, of: count)
            scales = [Self.r13, Self.r14, Self.r15, Self.r9]
            b.comment("outputs of row block \(block), tokens \(slots): Float(acc) / s * gamma, staged per token")
            b.li(Self.r3, p.scalesAddress + 4 * slots.lowerBound)
            for (i, t) in slots.enumerated() { b.emit(.lw, .reg(scales[i]), .mem(Self.r3, 4 * i), note: "s of token slot \(t)") }
        } else {
            slots = 0..<count
            scales = [Self.r2, Self.r3, Self.r8, Self.r9, Self.r13, Self.r14, Self.r15, Self.r6]
            b.comment("outputs of row block \(block): Float(acc) / s * gamma, staged per token")
            b.li(Self.r6, p.scalesAddress)
            // (r6, the base, is the last one loaded.)
            for t in slots { b.emit(.lw, .reg(scales[t]), .mem(Self.r6, 4 * t), note: "s of token slot \(t)") }
        }
        let accs = slots.map { (slot: $0, acc: accumulator($0, of: count)) }
        if p.writesSums {
            for (t, acc) in accs { b.emit(.sta, .reg(acc), .mem(Self.r12, t * p.stagingSlotBytes + sumsOffset + offset), note: "int32 sums") }
        }
        for (i, (_, acc)) in accs.enumerated() { b.emit(.fdq, .reg(acc), .reg(acc), .reg(scales[i]), .reg(Self.r10), note: "Float(acc) / s * gamma") }
        for (t, acc) in accs { b.emit(.sta, .reg(acc), .mem(Self.r12, t * p.stagingSlotBytes + offset), note: "float32 outputs") }
    }

    /// After the pass's blocks are staged: advance the staging pointer by the pass's rows
    /// and, every `outputBatch` passes (or at the last rows), write each token's staged rows
    /// to DRAM with one DMA.
    private func outputs(blocks n: Int, tokens count: Int, switchBuffer: Bool = true, into b: inout ProgramBuilder) {
        let p = plan
        let sumsOffset = p.outputBatch * p.blocksPerPass * rows * 4
        b.emit(.lw, .reg(Self.r13), spill(.rowsLeft))
        b.li(Self.r14, n * rows)
        b.emit(.min, .reg(Self.r13), .reg(Self.r13), .reg(Self.r14), note: "rows of this pass")
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
            b.writeTokenRows(count, dram: Self.r15, staging: Self.r13, length: Self.r14, slotBytes: p.stagingSlotBytes,
                             rowBytes: 4 * p.outFeatures, scratch: Self.r3)
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
        if switchBuffer { switchWeightBuffer(into: &b) }
    }
}
