import Foundation
import NMPISA
import NMPSimulator

/// Causal grouped-query attention over the KV cache (ISA.md 11.2 step 5), for `tokens`
/// query tokens at positions context ..< context + tokens.
///
/// Per token: its rotated queries come in by DMA; for each KV head, the query heads that
/// share it run in passes of `headsPerPass` so that the keys and values streamed from the
/// cache (in blocks of `keyBlock` positions) serve the whole pass. Scores of a pass
/// (`headsPerPass` rows of up to context + tokens float32) stay in the activation SRAM;
/// the softmax runs over them in place; the value sums accumulate per head and chunk of
/// VLEN lanes, in key order, through `fmacs`.
struct AttentionPlan: Sendable {
    let tokens: Int, context: Int, capacity: Int
    let heads: Int, kvHeads: Int, headDim: Int
    let format: KVCacheFormat
    let config: MachineConfig
    let headsPerPass: Int
    let keyBlock: Int
    // Activation-SRAM layout.
    let queryRow = 64
    let outputRow: Int
    let scores: Int
    let scoreStride: Int
    let kvBuffer: Int

    init(tokens: Int, context: Int, capacity: Int, heads: Int, kvHeads: Int, headDim: Int, format: KVCacheFormat,
         config: MachineConfig) throws(CompileError) {
        self.tokens = tokens; self.context = context; self.capacity = capacity
        self.heads = heads; self.kvHeads = kvHeads; self.headDim = headDim
        self.format = format; self.config = config
        let width = heads * headDim
        let maxKeys = context + tokens
        outputRow = Self.align(queryRow + 4 * width)
        scores = Self.align(outputRow + 4 * width)
        scoreStride = Self.align(4 * maxKeys)
        let group = heads / kvHeads
        let rowBytes = headDim * format.bytes
        guard 4 * width <= 32767, rowBytes * 1 <= 32767 else {
            throw CompileError("\(heads) heads of \(headDim) are too wide for the compiler's 16-bit offsets")
        }
        // The most query heads per pass: a divisor of the group, at most 7 (one accumulator
        // each, plus one for the values), whose score rows fit with at least one key.
        var chosen = 0
        for hp in stride(from: min(group, 7), through: 1, by: -1) where group % hp == 0 {
            if scores + hp * scoreStride + rowBytes <= config.activationSRAM.size && (hp - 1) * scoreStride <= 32767 {
                chosen = hp
                break
            }
        }
        guard chosen > 0 else {
            throw CompileError("one attention row (\(maxKeys) float32 scores for context \(context) + \(tokens) token(s)) with the query and output rows and one cached key needs \(scores + scoreStride + rowBytes) bytes of activation SRAM but the machine has \(config.activationSRAM.size) (field activationSRAM.size)")
        }
        headsPerPass = chosen
        kvBuffer = scores + chosen * scoreStride
        keyBlock = max(1, min(maxKeys, (config.activationSRAM.size - kvBuffer) / rowBytes, 32767 / max(rowBytes, 1)))
    }

    static func align(_ n: Int) -> Int { (n + 63) / 64 * 64 }
}

struct AttentionKernel {
    let plan: AttentionPlan

    private enum Spill: Int { case keys, tokensLeft, queryAddress, outputAddress, kvLeft, passesLeft, keyCache, valueCache }
    private func spill(_ slot: Spill) -> Operand { .mem(.zero, 4 * slot.rawValue) }

    /// Emits the kernel. `regions` names the score, softmax and value parts.
    func emit(query: Int, keyCache: Int, valueCache: Int, output: Int, regions: (scores: String, softmax: String, values: String),
              into b: inout ProgramBuilder) {
        let p = plan, vlen = p.config.vlen
        let eb = p.format.bytes, width = p.heads * p.headDim
        let group = p.heads / p.kvHeads, passes = group / p.headsPerPass
        let scaling = Float(Foundation.pow(Double(p.headDim), -0.5))   // HF: self.head_dim**-0.5
        let load: Opcode = switch p.format {
        case .bf16: .ldbf
        case .fp16: .ldhf
        case .fp32: .lda
        }
        let chunkStarts = Array(stride(from: 0, to: p.headDim, by: vlen))
        b.enterRegion(regions.scores)
        b.comment("attention: \(p.heads) query heads over \(p.kvHeads) KV head(s), \(p.headsPerPass) per pass, keys in blocks of \(p.keyBlock)")
        b.li(R.r7, vlen)
        b.li(R.r8, float: scaling, note: "head_dim^-0.5")
        let tokenTop = b.attentionTokenStart(keys: p.context + 1, tokens: p.tokens, query: query, output: output, queryRow: p.queryRow,
                                             width: width, spills: (spill(.keys), spill(.queryAddress), spill(.outputAddress),
                                                                    spill(.tokensLeft)), "attn_token")
        b.li(R.r3, keyCache, wide: true); b.emit(.sw, .reg(R.r3), spill(.keyCache))
        b.li(R.r3, valueCache, wide: true); b.emit(.sw, .reg(R.r3), spill(.valueCache))
        b.li(R.r5, p.queryRow)
        b.li(R.r6, p.outputRow)
        b.li(R.r3, p.kvHeads); b.emit(.sw, .reg(R.r3), spill(.kvLeft))
        let kvTop = b.label("attn_kv")
        b.place(kvTop)
        b.li(R.r3, passes); b.emit(.sw, .reg(R.r3), spill(.passesLeft))
        let passTop = b.label("attn_pass")
        b.place(passTop)

        // Scores: dot(q_h, k_j) * scaling for every key j and head h of the pass.
        b.enterRegion(regions.scores)
        b.emit(.lw, .reg(R.r1), spill(.keyCache))
        b.emit(.lw, .reg(R.r2), spill(.keys))
        b.li(R.r3, p.scores)
        streamBlocks(into: &b, name: "score_block") { b in
            b.li(R.r4, p.kvBuffer)
            b.emit(.addi, .reg(R.r11), .reg(R.r3), .imm(0))
            // vl = VLEN on entry to every key (each key ends with vl = min(head_dim, VLEN),
            // and a ragged first chunk sets its own).
            b.emit(.setvl, .reg(.zero), .reg(R.r7))
            b.loop(R.r10, "keys") { b in
                // The key's chunks stay in a2 ... (one load serves every head of the pass)
                // when they fit beside a0 (query chunk) and a1 (partial sums).
                let keysInRegisters = chunkStarts.count <= 6
                func setLanes(_ c: Int) {
                    let lanes = min(vlen, p.headDim - c)
                    if lanes != vlen { b.li(R.r12, lanes); b.emit(.setvl, .reg(.zero), .reg(R.r12)) }
                }
                if keysInRegisters {
                    for (i, c) in chunkStarts.enumerated() {
                        setLanes(c)
                        b.emit(load, .reg(.a(2 + i)), .mem(R.r4, c * eb), note: "key chunk")
                    }
                }
                for h in 0..<p.headsPerPass {
                    b.emit(.setvl, .reg(.zero), .reg(R.r7))
                    b.emit(.azero, .reg(.a(1)))
                    for (i, c) in chunkStarts.enumerated() {
                        setLanes(c)
                        b.emit(.lda, .reg(.a(0)), .mem(R.r5, 4 * (h * p.headDim + c)), note: "query chunk of head \(h) of the pass")
                        if keysInRegisters {
                            b.emit(.fvmac, .reg(.a(1)), .reg(.a(2 + i)), .reg(.a(0)))
                        } else {
                            b.emit(load, .reg(.a(2)), .mem(R.r4, c * eb), note: "key chunk")
                            b.emit(.fvmac, .reg(.a(1)), .reg(.a(2)), .reg(.a(0)))
                        }
                    }
                    b.li(R.r12, min(p.headDim, vlen))
                    b.emit(.setvl, .reg(.zero), .reg(R.r12))
                    b.emit(.fsum, .reg(R.r12), .reg(.a(1)))
                    b.emit(.fmul, .reg(R.r12), .reg(R.r12), .reg(R.r8), note: "* scaling")
                    b.emit(.sw, .reg(R.r12), .mem(R.r11, h * p.scoreStride))
                }
                b.addConstant(R.r4, p.headDim * eb, scratch: R.r12)
                b.emit(.addi, .reg(R.r11), .reg(R.r11), .imm(4))
            }
        }
        b.emit(.setvl, .reg(.zero), .reg(R.r7))

        // Softmax over each head's row of scores, in place.
        b.enterRegion(regions.softmax)
        for h in 0..<p.headsPerPass {
            let row = p.scores + h * p.scoreStride
            b.emit(.lw, .reg(R.r10), spill(.keys))
            b.softmaxExponentials(row: row, count: R.r10, vlenReg: R.r7, vlen: vlen, "s")
            b.li(R.r4, row)
            b.chunks(count: R.r10, vlenReg: R.r7, vlen: vlen, full: R.r13, rest: R.r14, "snorm") { b in
                b.emit(.lda, .reg(.a(0)), .mem(R.r4, 0))
                b.emit(.fmuls, .reg(.a(0)), .reg(.a(0)), .reg(R.r11))
                b.emit(.sta, .reg(.a(0)), .mem(R.r4, 0))
                b.addConstant(R.r4, 4 * vlen, scratch: R.r15)
            }
        }

        // Values: out_h += prob_j * v_j in key order, per chunk of VLEN lanes.
        b.enterRegion(regions.values)
        for h in 0..<p.headsPerPass {
            for c in chunkStarts {
                let lanes = min(vlen, p.headDim - c)
                if lanes != vlen { b.li(R.r12, lanes); b.emit(.setvl, .reg(.zero), .reg(R.r12)) } else { b.emit(.setvl, .reg(.zero), .reg(R.r7)) }
                b.emit(.azero, .reg(.a(1)))
                b.emit(.sta, .reg(.a(1)), .mem(R.r6, 4 * (h * p.headDim + c)), note: "out = +0.0")
            }
        }
        b.emit(.lw, .reg(R.r1), spill(.valueCache))
        b.emit(.lw, .reg(R.r2), spill(.keys))
        b.li(R.r3, p.scores)
        streamBlocks(into: &b, name: "value_block") { b in
            for c in chunkStarts {
                let lanes = min(vlen, p.headDim - c)
                if lanes != vlen { b.li(R.r12, lanes); b.emit(.setvl, .reg(.zero), .reg(R.r12)) } else { b.emit(.setvl, .reg(.zero), .reg(R.r7)) }
                for h in 0..<p.headsPerPass { b.emit(.lda, .reg(.a(1 + h)), .mem(R.r6, 4 * (h * p.headDim + c))) }
                b.li(R.r4, p.kvBuffer + c * eb)
                b.emit(.addi, .reg(R.r11), .reg(R.r3), .imm(0))
                b.loop(R.r10, "values") { b in
                    b.emit(load, .reg(.a(0)), .mem(R.r4, 0), note: "value chunk")
                    for h in 0..<p.headsPerPass {
                        let s = h % 2 == 0 ? R.r12 : R.r15
                        b.emit(.lw, .reg(s), .mem(R.r11, h * p.scoreStride), note: "prob of head \(h)")
                        b.emit(.fmacs, .reg(.a(1 + h)), .reg(.a(0)), .reg(s))
                    }
                    b.addConstant(R.r4, p.headDim * eb, scratch: R.r14)
                    b.emit(.addi, .reg(R.r11), .reg(R.r11), .imm(4))
                }
                for h in 0..<p.headsPerPass { b.emit(.sta, .reg(.a(1 + h)), .mem(R.r6, 4 * (h * p.headDim + c))) }
            }
            b.emit(.setvl, .reg(.zero), .reg(R.r7))
        }
        b.addConstant(R.r5, 4 * p.headsPerPass * p.headDim, scratch: R.r12)
        b.addConstant(R.r6, 4 * p.headsPerPass * p.headDim, scratch: R.r12)
        b.emit(.lw, .reg(R.r3), spill(.passesLeft))
        b.emit(.addi, .reg(R.r3), .reg(R.r3), .imm(-1))
        b.emit(.sw, .reg(R.r3), spill(.passesLeft))
        b.emit(.bne, .reg(R.r3), .reg(.zero), .label(passTop))
        for slot in [Spill.keyCache, .valueCache] {
            b.emit(.lw, .reg(R.r3), spill(slot))
            b.addConstant(R.r3, eb * p.capacity * p.headDim, scratch: R.r12, note: "the next KV head's cache")
            b.emit(.sw, .reg(R.r3), spill(slot))
        }
        b.emit(.lw, .reg(R.r3), spill(.kvLeft))
        b.emit(.addi, .reg(R.r3), .reg(R.r3), .imm(-1))
        b.emit(.sw, .reg(R.r3), spill(.kvLeft))
        b.emit(.bne, .reg(R.r3), .reg(.zero), .label(kvTop))
        b.attentionTokenEnd(outputRow: p.outputRow, width: width, queryAddress: spill(.queryAddress), outputAddress: spill(.outputAddress),
                            keys: spill(.keys), tokensLeft: spill(.tokensLeft), next: tokenTop)
    }

    /// Streams x[r2] cache rows from DRAM x[r1] through the KV buffer in blocks of
    /// `keyBlock`: per block r10 = its rows, `body`, then r1, r3 (the score pointer) and r2
    /// advance. A software loop (its branch is not at a hardware loop's end).
    private func streamBlocks(into b: inout ProgramBuilder, name: String, _ body: (inout ProgramBuilder) -> Void) {
        let p = plan
        let rowBytes = p.headDim * p.format.bytes
        let top = b.label(name)
        b.place(top)
        b.li(R.r10, p.keyBlock)
        b.emit(.min, .reg(R.r10), .reg(R.r10), .reg(R.r2), note: "keys in this block")
        b.li(R.r12, rowBytes)
        b.emit(.mul, .reg(R.r15), .reg(R.r10), .reg(R.r12))
        b.li(R.r13, p.kvBuffer)
        b.emit(.dmaa, .reg(R.r13), .reg(R.r1), .reg(R.r15), note: "a block of cached rows")
        b.emit(.dwait, .imm(0))
        b.emit(.add, .reg(R.r1), .reg(R.r1), .reg(R.r15))
        body(&b)
        b.emit(.slli, .reg(R.r12), .reg(R.r10), .imm(2))
        b.emit(.add, .reg(R.r3), .reg(R.r3), .reg(R.r12))
        b.emit(.sub, .reg(R.r2), .reg(R.r2), .reg(R.r10))
        b.emit(.bne, .reg(R.r2), .reg(.zero), .label(top))
    }
}
