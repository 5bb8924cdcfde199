/// Every ISA v1 opcode; the raw value is bits 0-7 of the instruction word.
///
/// This enum and its `spec` switch are the single source of truth: the assembler's
/// mnemonic map, the encoder, decoder, disassembler, the ISA.md consistency test and the
/// simulator all walk it. Adding a case fails to compile until `spec` describes it.
public enum Opcode: UInt8, CaseIterable, Sendable {
    // Control
    case nop = 0x00, halt = 0x01, setvl = 0x02
    // Scalar register-register
    case add = 0x10, sub, mul, div, divu, and, or, xor, sll, srl, sra, slt, sltu, min, max
    // Scalar register-immediate
    case addi = 0x20, andi, ori, xori, slli, srli, srai, slti, lui
    // Branches, jumps, hardware loop
    case beq = 0x30, bne, blt, bge, bltu, bgeu, jal, jalr, loop
    // Loads and stores
    case lw = 0x40, sw, lb, sb, ldv, stv, lda, sta, ldt, stt, ldm, ldbf, stbf, ldhf, sthf
    // DMA
    case dmaw = 0x50, dmaa, dmas, dwait
    // Ternary compute
    case vmac = 0x60, mmac, sgn, sgnb, thr, tcvt
    // Ternary matrix product of one weight-SRAM tile with several int8 vectors (prefill)
    case mgemm = 0x66, mgemz
    // Binary16 matrix product on the FP16 array (the FP16 baseline's counterpart of mgemm)
    case hgemm = 0x68, hgemz
    // Accumulator element-wise, reductions and requantization
    case azero = 0x70, abcast, awiden, aadd, asub, amul, arelu, asq, amax, asum, rq
    // Floating-point scale unit (float32 bit patterns in accumulator lanes and scalars)
    case fcvt = 0x80, fmuls, fdivs, famax, fq, fdiv, fmax, fmul
    // Float32 vector unit: lane-wise, lane-scalar, exp, ordered reductions, scalar float
    case fvadd = 0x88, fvsub, fvmul, fvdiv, fvmax, fvmac, fadds, fsubs, fmaxs, fmacs, fexp, fsum, frmax, fadd, fsub, fsqrt
    // Float32 vector unit with 16-bit float weights straight from the weight SRAM
    case fwmacbf = 0x98, fwmachf
    // Float32 matrix-vector and vector-matrix products with a 16-bit float matrix in the weight SRAM
    case fmvbf = 0x9A, fmvhf, fvmbf, fvmhf
    // BitNet's dequantization of int32 sums in one float32 instruction
    case fdq = 0x9E

    /// The assembly mnemonic (the case name).
    public var mnemonic: String { String(describing: self) }

    /// The opcode whose mnemonic is `name` (exact, lower case).
    public init?(mnemonic name: String) {
        guard let op = Opcode.byMnemonic[name] else { return nil }
        self = op
    }

    private static let byMnemonic: [String: Opcode] =
        Dictionary(uniqueKeysWithValues: allCases.map { ($0.mnemonic, $0) })

    /// The opcode's description; see `InstructionSpec`.
    public var spec: InstructionSpec {
        switch self {
        case .nop: .init(format: .n, operands: [], group: .control, timing: .pipelined(latency: nil),
                         energy: [], summary: "no operation")
        case .halt: .init(format: .n, operands: [], group: .control, timing: .halt,
                          energy: [], summary: "stop after DMA and pending writes drain")
        case .setvl: .init(format: .r, operands: [.register(.scalar, .a), .register(.scalar, .b)],
                           group: .control, timing: .pipelined(latency: .aluLatency),
                           energy: [.count(.registerRead, 4), .count(.registerWrite, 4), .count(.int32Add, 1)],
                           summary: "vl = min(x[rs] (unsigned), VLEN); x[rd] = vl", roles: [.writesVL])

        case .add: Self.scalarR("x[rd] = x[rs1] + x[rs2] (wrapping)")
        case .sub: Self.scalarR("x[rd] = x[rs1] - x[rs2] (wrapping)")
        case .mul: Self.scalarR("x[rd] = low 32 bits of x[rs1] * x[rs2]", latency: .mulLatency, event: .int32Mul)
        case .div: Self.scalarR("x[rd] = x[rs1] / x[rs2] signed, toward zero; /0 = -1; MIN/-1 = MIN",
                                latency: .divLatency, event: .int32Div)
        case .divu: Self.scalarR("x[rd] = x[rs1] / x[rs2] unsigned; /0 = 0xFFFFFFFF",
                                 latency: .divLatency, event: .int32Div)
        case .and: Self.scalarR("x[rd] = x[rs1] & x[rs2]")
        case .or: Self.scalarR("x[rd] = x[rs1] | x[rs2]")
        case .xor: Self.scalarR("x[rd] = x[rs1] ^ x[rs2]")
        case .sll: Self.scalarR("x[rd] = x[rs1] << (x[rs2] & 31)")
        case .srl: Self.scalarR("x[rd] = x[rs1] >> (x[rs2] & 31), logical")
        case .sra: Self.scalarR("x[rd] = x[rs1] >> (x[rs2] & 31), arithmetic")
        case .slt: Self.scalarR("x[rd] = x[rs1] < x[rs2] signed ? 1 : 0")
        case .sltu: Self.scalarR("x[rd] = x[rs1] < x[rs2] unsigned ? 1 : 0")
        case .min: Self.scalarR("x[rd] = min(x[rs1], x[rs2]) signed")
        case .max: Self.scalarR("x[rd] = max(x[rs1], x[rs2]) signed")

        case .addi: Self.scalarI(.signed16, "x[rd] = x[rs] + sext(imm)")
        case .andi: Self.scalarI(.unsigned16, "x[rd] = x[rs] & zext(imm)")
        case .ori: Self.scalarI(.unsigned16, "x[rd] = x[rs] | zext(imm)")
        case .xori: Self.scalarI(.unsigned16, "x[rd] = x[rs] ^ zext(imm)")
        case .slli: Self.scalarI(.shift5, "x[rd] = x[rs] << imm")
        case .srli: Self.scalarI(.shift5, "x[rd] = x[rs] >> imm, logical")
        case .srai: Self.scalarI(.shift5, "x[rd] = x[rs] >> imm, arithmetic")
        case .slti: Self.scalarI(.signed16, "x[rd] = x[rs] < sext(imm) signed ? 1 : 0")
        case .lui: .init(format: .i, operands: [.register(.scalar, .a), .immediate(.unsigned16)],
                         group: .scalar, timing: .pipelined(latency: .aluLatency),
                         energy: [.count(.registerWrite, 4)], summary: "x[rd] = imm << 16")

        case .beq: Self.branch("if x[rs1] == x[rs2]: pc = pc + offset")
        case .bne: Self.branch("if x[rs1] != x[rs2]: pc = pc + offset")
        case .blt: Self.branch("if x[rs1] < x[rs2] signed: pc = pc + offset")
        case .bge: Self.branch("if x[rs1] >= x[rs2] signed: pc = pc + offset")
        case .bltu: Self.branch("if x[rs1] < x[rs2] unsigned: pc = pc + offset")
        case .bgeu: Self.branch("if x[rs1] >= x[rs2] unsigned: pc = pc + offset")
        case .jal: .init(format: .j, operands: [.register(.scalar, .a), .target(.imm20)],
                         group: .branch, timing: .branch(latency: .aluLatency),
                         energy: [.count(.registerWrite, 4)], summary: "x[rd] = pc + 1; pc = pc + offset")
        case .jalr: .init(format: .i, operands: [.register(.scalar, .a), .register(.scalar, .b), .immediate(.signed16)],
                          group: .branch, timing: .branch(latency: .aluLatency),
                          energy: [.count(.registerRead, 4), .count(.registerWrite, 4), .count(.int32Add, 1)],
                          summary: "t = x[rs] + sext(imm); x[rd] = pc + 1; pc = t")
        case .loop: .init(format: .i, operands: [.register(.scalar, .a), .target(.imm16)],
                          group: .branch, timing: .branch(latency: nil),
                          energy: [.count(.registerRead, 4)],
                          summary: "run pc+1 ..< end x[rs] times (0: skip to end)")

        case .lw: Self.memory(.scalar, .activationSRAM, .bytes(4), load: true, "x[rd] = asram.i32[x[rs] + imm]")
        case .sw: Self.memory(.scalar, .activationSRAM, .bytes(4), load: false, "asram.i32[x[rs] + imm] = x[rs2]")
        case .lb: Self.memory(.scalar, .activationSRAM, .bytes(1), load: true, "x[rd] = sext(asram.i8[x[rs] + imm])")
        case .sb: Self.memory(.scalar, .activationSRAM, .bytes(1), load: false, "asram.i8[x[rs] + imm] = low 8 bits of x[rs2]")
        case .ldv: Self.memory(.vector, .activationSRAM, .activeLanes(laneBytes: 1), load: true,
                               "v[vd][l] = asram.i8[addr + l] for l < vl")
        case .stv: Self.memory(.vector, .activationSRAM, .activeLanes(laneBytes: 1), load: false,
                               "asram.i8[addr + l] = v[vs][l] for l < vl")
        case .lda: Self.memory(.accumulator, .activationSRAM, .activeLanes(laneBytes: 4), load: true,
                               "a[ad][l] = asram.i32[addr + 4l] for l < vl")
        case .sta: Self.memory(.accumulator, .activationSRAM, .activeLanes(laneBytes: 4), load: false,
                               "asram.i32[addr + 4l] = a[as][l] for l < vl")
        case .ldt: Self.memory(.trit, .weightSRAM, .tritRow, load: true, "t[td] = unpack(wsram[addr ..< addr + ROWBYTES])")
        case .stt: Self.memory(.trit, .weightSRAM, .tritRow, load: false, "wsram[addr ..< addr + ROWBYTES] = pack(t[ts])")
        case .ldm: Self.memory(.matrix, .weightSRAM, .tritMatrix, load: true,
                               "m[md][r] = unpack(wsram[addr + r*ROWBYTES ..< +ROWBYTES]) for r < ROWS")
        case .ldbf: Self.memory(.accumulator, .activationSRAM, .activeLanes(laneBytes: 2), load: true,
                                "a[ad][l] = bits(f32(asram.bf16[addr + 2l])) for l < vl (exact)")
        case .stbf: Self.memory(.accumulator, .activationSRAM, .activeLanes(laneBytes: 2), load: false,
                                "asram.bf16[addr + 2l] = bf16(f32(a[as][l])) rounded to nearest even for l < vl")
        case .ldhf: Self.memory(.accumulator, .activationSRAM, .activeLanes(laneBytes: 2), load: true,
                                "a[ad][l] = bits(f32(asram.f16[addr + 2l])) for l < vl (exact)")
        case .sthf: Self.memory(.accumulator, .activationSRAM, .activeLanes(laneBytes: 2), load: false,
                                "asram.f16[addr + 2l] = f16(f32(a[as][l])) rounded to nearest even for l < vl")

        case .dmaw: Self.dma("wsram[x[rd] ..< +x[rn]] = dram[x[rs] ..< +x[rn]], in the background",
                             from: .dramRead, to: .weightSRAMWrite)
        case .dmaa: Self.dma("asram[x[rd] ..< +x[rn]] = dram[x[rs] ..< +x[rn]], in the background",
                             from: .dramRead, to: .activationSRAMWrite)
        case .dmas: Self.dma("dram[x[rd] ..< +x[rn]] = asram[x[rs] ..< +x[rn]], in the background",
                             from: .activationSRAMRead, to: .dramWrite)
        case .dwait: .init(format: .i, operands: [.immediate(.unsigned16)], group: .dma, timing: .dmaWait,
                           energy: [], summary: "wait until at most imm DMA transfers are outstanding")

        case .vmac: .init(format: .r, operands: [.register(.accumulator, .a), .register(.trit, .b), .register(.vector, .c)],
                          group: .ternary, timing: .pipelined(latency: .macLatency),
                          energy: [.count(.registerRead, [.init(4, .vl), .init(1, .vlTritBytes), .init(1, .vl)]),
                                   .count(.registerWrite, 4, .vl), EventCount(.tritMACs, [.init(1, .vl)])],
                          summary: "a[ad][l] += t[ts][l] * v[vs][l] for l < vl (add, subtract or skip; wrapping)",
                          roles: [.accumulates])
        case .mmac: .init(format: .r, operands: [.register(.accumulator, .a), .register(.matrix, .b), .register(.vector, .c)],
                          group: .ternary, timing: .pipelined(latency: .mmacLatency),
                          energy: [.count(.registerRead, [.init(4, .rows), .init(1, .rowsVlTritBytes), .init(1, .vl)]),
                                   .count(.registerWrite, 4, .rows), EventCount(.tritMACs, [.init(1, .rowsVl)]),
                                   .count(.int32Add, 1, .rows)],
                          summary: "a[ad][r] += sum over l < vl of m[ms][r][l] * v[vs][l], for r < ROWS (wrapping)",
                          roles: [.accumulates])
        case .sgn: .init(format: .r, operands: [.register(.trit, .a), .register(.accumulator, .b), .register(.scalar, .c)],
                         group: .ternary, timing: .pipelined(latency: .vectorLatency),
                         energy: [.count(.registerRead, [.init(4, .vl), .init(4, .one)]), .count(.registerWrite, 1, .vlTritBytes), .count(.int8Op, 1, .vl)],
                         summary: "t[td][l] = +1 if a > x[rs], -1 if a < -x[rs], else 0 (l < vl)")
        case .sgnb: .init(format: .r, operands: [.register(.trit, .a), .register(.accumulator, .b)],
                          group: .ternary, timing: .pipelined(latency: .vectorLatency),
                          energy: [.count(.registerRead, 4, .vl), .count(.registerWrite, 1, .vlTritBytes), .count(.int8Op, 1, .vl)],
                          summary: "t[td][l] = +1 if a[as][l] >= 0 else -1 (l < vl)")
        case .thr: .init(format: .r, operands: [.register(.trit, .a), .register(.accumulator, .b),
                                               .register(.accumulator, .c), .register(.accumulator, .d)],
                         group: .ternary, timing: .pipelined(latency: .vectorLatency),
                         energy: [.count(.registerRead, 12, .vl), .count(.registerWrite, 1, .vlTritBytes), .count(.int8Op, 1, .vl)],
                         summary: "t[td][l] = +1 if a[as][l] > a[ahi][l], -1 if < a[alo][l], else 0")
        case .tcvt: .init(format: .r, operands: [.register(.vector, .a), .register(.trit, .b)],
                          group: .ternary, timing: .pipelined(latency: .vectorLatency),
                          energy: [.count(.registerRead, 1, .vlTritBytes), .count(.registerWrite, 1, .vl), .count(.int8Op, 1, .vl)],
                          summary: "v[vd][l] = t[ts][l] as int8 (l < vl)")
        // Per token n < N = E-D+1 (accumulators aD ... aE): its accumulator (4*ROWS bytes read and written, ROWS adds),
        // vl int8 bytes of the activation SRAM, ROWS*vl trit-MACs; once: the tile's bytes
        // read and unpacked, the two pointers read, advanced (2 adds) and written.
        case .mgemm: .init(format: .r, operands: [.register(.accumulator, .a), .register(.accumulator, .d), .register(.scalar, .b), .register(.scalar, .c)],
                           group: .ternary, timing: .gemm(.trits),
                           energy: [.count(.registerRead, [.init(8, .one), .init(4, .tokensRows)]),
                                    .count(.registerWrite, [.init(8, .one), .init(4, .tokensRows)]),
                                    .count(.weightSRAMRead, 1, .tileBytes), .count(.tritUnpack, 1, .tileBytes),
                                    .count(.activationSRAMRead, 1, .tokensVl), EventCount(.tritMACs, [.init(1, .tokensRowsVl)]),
                                    .count(.int32Add, [.init(2, .one), .init(1, .tokensRows)])],
                           summary: "for n < N = E-D+1: a[D+n][r] += sum over l < vl of unpack(wsram[x[rw] + r*ROWBYTES ..< +ROWBYTES])[l] * asram.i8[x[rx] + n*VLEN + l], for r < ROWS (wrapping); then x[rw] += ROWS*ROWBYTES, x[rx] += N*VLEN",
                           roles: [.accumulates])
        // As mgemm, but each row sum replaces the accumulator lane: no accumulator is read,
        // and no add into it.
        case .mgemz: .init(format: .r, operands: [.register(.accumulator, .a), .register(.accumulator, .d), .register(.scalar, .b), .register(.scalar, .c)],
                           group: .ternary, timing: .gemm(.trits),
                           energy: [.count(.registerRead, 8), .count(.registerWrite, [.init(8, .one), .init(4, .tokensRows)]),
                                    .count(.weightSRAMRead, 1, .tileBytes), .count(.tritUnpack, 1, .tileBytes),
                                    .count(.activationSRAMRead, 1, .tokensVl), EventCount(.tritMACs, [.init(1, .tokensRowsVl)]),
                                    .count(.int32Add, 2)],
                           summary: "as mgemm, but a[D+n][r] = the sum (the accumulator is overwritten, not added to)",
                           roles: [.accumulates])
        // The FP16 array (ISA.md 6.12): per token n < N, its accumulator as for mgemm, 2*vl
        // bytes of the activation SRAM, ROWS*vl binary16 multiplies and as many adds (the
        // trees' vl - 1 and the `+0.0 +` of each root), plus ROWS adds into the accumulator;
        // once: the whole tile's 2*ROWS*VLEN bytes read, the pointers read, advanced and written.
        case .hgemm: .init(format: .r, operands: [.register(.accumulator, .a), .register(.accumulator, .d), .register(.scalar, .b), .register(.scalar, .c)],
                           group: .ternary, timing: .gemm(.halves),
                           energy: [.count(.registerRead, [.init(8, .one), .init(4, .tokensRows)]),
                                    .count(.registerWrite, [.init(8, .one), .init(4, .tokensRows)]),
                                    .count(.weightSRAMRead, 2, .rowsVlen), .count(.activationSRAMRead, 2, .tokensVl),
                                    .count(.fp16Mul, 1, .tokensRowsVl), .count(.fp16Add, [.init(1, .tokensRowsVl), .init(1, .tokensRows)]),
                                    .count(.int32Add, 2)],
                           summary: "for n < N = E-D+1: a[D+n][r] = bits(f32(a[D+n][r]) + tree over l < vl of f32(wsram.f16[x[rw] + 2*(r*VLEN + l)]) * f32(asram.f16[x[rx] + 2*(n*VLEN + l)])), for r < ROWS; then x[rw] += 2*ROWS*VLEN, x[rx] += 2*N*VLEN",
                           roles: [.accumulates])
        // As hgemm, but each row's tree replaces the accumulator lane: no accumulator is
        // read, and no add into it.
        case .hgemz: .init(format: .r, operands: [.register(.accumulator, .a), .register(.accumulator, .d), .register(.scalar, .b), .register(.scalar, .c)],
                           group: .ternary, timing: .gemm(.halves),
                           energy: [.count(.registerRead, 8), .count(.registerWrite, [.init(8, .one), .init(4, .tokensRows)]),
                                    .count(.weightSRAMRead, 2, .rowsVlen), .count(.activationSRAMRead, 2, .tokensVl),
                                    .count(.fp16Mul, 1, .tokensRowsVl), .count(.fp16Add, 1, .tokensRowsVl),
                                    .count(.int32Add, 2)],
                           summary: "as hgemm, but a[D+n][r] = bits(the tree) (the accumulator is overwritten, not added to)",
                           roles: [.accumulates])

        case .azero: .init(format: .r, operands: [.register(.accumulator, .a)],
                           group: .accumulator, timing: .pipelined(latency: .vectorLatency),
                           energy: [.count(.registerWrite, 4, .vl)], summary: "a[ad][l] = 0 (l < vl)")
        case .abcast: .init(format: .r, operands: [.register(.accumulator, .a), .register(.scalar, .b)],
                            group: .accumulator, timing: .pipelined(latency: .vectorLatency),
                            energy: [.count(.registerRead, 4), .count(.registerWrite, 4, .vl)], summary: "a[ad][l] = x[rs] (l < vl)")
        case .awiden: .init(format: .r, operands: [.register(.accumulator, .a), .register(.vector, .b)],
                            group: .accumulator, timing: .pipelined(latency: .vectorLatency),
                            energy: [.count(.registerRead, 1, .vl), .count(.registerWrite, 4, .vl)], summary: "a[ad][l] = sext(v[vs][l]) (l < vl)")
        case .aadd: Self.acc3("a[ad][l] = sat32(a[as][l] + a[at][l])", latency: .vectorLatency, event: .int32Add)
        case .asub: Self.acc3("a[ad][l] = sat32(a[as][l] - a[at][l])", latency: .vectorLatency, event: .int32Add)
        case .amul: Self.acc3("a[ad][l] = sat32(a[as][l] * a[at][l])", latency: .vectorMulLatency, event: .int32Mul)
        case .arelu: Self.acc2("a[ad][l] = max(a[as][l], 0)", latency: .vectorLatency, event: .int32Add)
        case .asq: Self.acc2("a[ad][l] = sat32(a[as][l] * a[as][l])", latency: .vectorMulLatency, event: .int32Mul)
        case .amax: .init(format: .r, operands: [.register(.scalar, .a), .register(.accumulator, .b)],
                          group: .accumulator, timing: .pipelined(latency: .reduceLatency),
                          energy: [.count(.registerRead, 4, .vl), .count(.registerWrite, 4), .count(.int32Add, 1, .vl)],
                          summary: "x[rd] = max over l < vl of sat32(|a[as][l]|); 0 if vl = 0")
        case .asum: .init(format: .r, operands: [.register(.scalar, .a), .register(.accumulator, .b)],
                          group: .accumulator, timing: .pipelined(latency: .reduceLatency),
                          energy: [.count(.registerRead, 4, .vl), .count(.registerWrite, 4), .count(.int32Add, 1, .vl)],
                          summary: "x[rd] = sum over l < vl of a[as][l] (wrapping)")
        case .rq: .init(format: .r, operands: [.register(.vector, .a), .register(.accumulator, .b),
                                              .register(.scalar, .c), .register(.scalar, .d)],
                        group: .accumulator, timing: .pipelined(latency: .requantLatency),
                        energy: [.count(.registerRead, [.init(4, .vl), .init(8, .one)]), .count(.registerWrite, 1, .vl), .count(.int32Mul, 1, .vl), .count(.int8Op, 1, .vl)],
                        summary: "v[vd][l] = sat8(rne(a[as][l] * x[rm] / 2^(x[rsh] & 63))) (l < vl)")

        case .fcvt: .init(format: .r, operands: [.register(.accumulator, .a), .register(.accumulator, .b)],
                          group: .float, timing: .floatLanes(latency: .floatLatency),
                          energy: [.count(.registerRead, 4, .vl), .count(.registerWrite, 4, .vl), .count(.fp32Add, 1, .vl)],
                          summary: "a[ad][l] = bits(s32(a[as][l]) rounded to float32) (l < vl)")
        case .fmuls: Self.floatVectorScalar("a[ad][l] = bits(f32(a[as][l]) * f32(x[rs])) (l < vl)",
                                            latency: .floatLatency, event: .fp32Mul)
        case .fdivs: Self.floatVectorScalar("a[ad][l] = bits(f32(a[as][l]) / f32(x[rs])) (l < vl)",
                                            latency: .divLatency, event: .fp32Div)
        case .famax: .init(format: .r, operands: [.register(.scalar, .a), .register(.accumulator, .b)],
                           group: .float, timing: .floatLanes(latency: .reduceLatency),
                           energy: [.count(.registerRead, 4, .vl), .count(.registerWrite, 4), .count(.fp32Add, 1, .vl)],
                           summary: "x[rd] = bits(max over l < vl of |f32(a[as][l])|); +0.0 if vl = 0; NaN if any lane is NaN")
        case .fq: .init(format: .r, operands: [.register(.vector, .a), .register(.accumulator, .b), .register(.scalar, .c)],
                        group: .float, timing: .floatLanes(latency: .floatLatency),
                        energy: [.count(.registerRead, [.init(4, .vl), .init(4, .one)]), .count(.registerWrite, 1, .vl),
                                 .count(.fp32Mul, 1, .vl), .count(.int8Op, 1, .vl)],
                        summary: "v[vd][l] = clamp(rne(f32(a[as][l]) * f32(x[rs])), -128, 127); NaN gives 0 (l < vl)")
        case .fdiv: Self.floatScalar("x[rd] = bits(f32(x[rs1]) / f32(x[rs2]))", latency: .divLatency, event: .fp32Div)
        case .fmax: Self.floatScalar("x[rd] = bits(max(f32(x[rs1]), f32(x[rs2]))); -0.0 < +0.0; NaN if either is NaN",
                                     latency: .floatLatency, event: .fp32Add)
        case .fmul: Self.floatScalar("x[rd] = bits(f32(x[rs1]) * f32(x[rs2]))", latency: .floatLatency, event: .fp32Mul)

        case .fvadd: Self.floatVector("a[ad][l] = bits(f32(a[as][l]) + f32(a[at][l])) (l < vl)", latency: .floatLatency, events: [.fp32Add])
        case .fvsub: Self.floatVector("a[ad][l] = bits(f32(a[as][l]) - f32(a[at][l])) (l < vl)", latency: .floatLatency, events: [.fp32Add])
        case .fvmul: Self.floatVector("a[ad][l] = bits(f32(a[as][l]) * f32(a[at][l])) (l < vl)", latency: .floatLatency, events: [.fp32Mul])
        case .fvdiv: Self.floatVector("a[ad][l] = bits(f32(a[as][l]) / f32(a[at][l])) (l < vl)", latency: .divLatency, events: [.fp32Div])
        case .fvmax: Self.floatVector("a[ad][l] = bits(max(f32(a[as][l]), f32(a[at][l]))); -0.0 < +0.0; NaN if either is NaN (l < vl)",
                                      latency: .floatLatency, events: [.fp32Add])
        case .fvmac: Self.floatVector("a[ad][l] = bits(fma(f32(a[as][l]), f32(a[at][l]), f32(a[ad][l]))), one rounding (l < vl)",
                                      latency: .floatLatency, events: [.fp32Mul, .fp32Add], accumulates: true)
        case .fadds: Self.floatVectorScalar("a[ad][l] = bits(f32(a[as][l]) + f32(x[rs])) (l < vl)", latency: .floatLatency, event: .fp32Add)
        case .fsubs: Self.floatVectorScalar("a[ad][l] = bits(f32(a[as][l]) - f32(x[rs])) (l < vl)", latency: .floatLatency, event: .fp32Add)
        case .fmaxs: Self.floatVectorScalar("a[ad][l] = bits(max(f32(a[as][l]), f32(x[rs]))); -0.0 < +0.0; NaN if either is NaN (l < vl)",
                                            latency: .floatLatency, event: .fp32Add)
        case .fmacs: .init(format: .r, operands: [.register(.accumulator, .a), .register(.accumulator, .b), .register(.scalar, .c)],
                           group: .float, timing: .floatLanes(latency: .floatLatency),
                           energy: [.count(.registerRead, [.init(8, .vl), .init(4, .one)]), .count(.registerWrite, 4, .vl),
                                    .count(.fp32Mul, 1, .vl), .count(.fp32Add, 1, .vl)],
                           summary: "a[ad][l] = bits(fma(f32(a[as][l]), f32(x[rs]), f32(a[ad][l]))), one rounding (l < vl)",
                           roles: [.accumulates])
        case .fexp: .init(format: .r, operands: [.register(.accumulator, .a), .register(.accumulator, .b)],
                          group: .float, timing: .floatLanes(latency: .expLatency),
                          energy: [.count(.registerRead, 4, .vl), .count(.registerWrite, 4, .vl),
                                   .count(.fp32Mul, 10, .vl), .count(.fp32Add, 11, .vl)],
                          summary: "a[ad][l] = bits(exp(f32(a[as][l]))) by the algorithm of ISA.md 7.12 (l < vl)")
        case .fsum: .init(format: .r, operands: [.register(.scalar, .a), .register(.accumulator, .b)],
                          group: .float, timing: .floatLanes(latency: .reduceLatency),
                          energy: [.count(.registerRead, 4, .vl), .count(.registerWrite, 4), .count(.fp32Add, 1, .vl)],
                          summary: "x[rd] = bits(+0.0 + pairwise tree sum of f32(a[as][l]), l < vl) (ISA.md 7.12)")
        case .frmax: .init(format: .r, operands: [.register(.scalar, .a), .register(.accumulator, .b)],
                           group: .float, timing: .floatLanes(latency: .reduceLatency),
                           energy: [.count(.registerRead, 4, .vl), .count(.registerWrite, 4), .count(.fp32Add, 1, .vl)],
                           summary: "x[rd] = bits(max over l < vl of f32(a[as][l])); -inf if vl = 0; NaN if any lane is NaN")
        case .fadd: Self.floatScalar("x[rd] = bits(f32(x[rs1]) + f32(x[rs2]))", latency: .floatLatency, event: .fp32Add)
        case .fsub: Self.floatScalar("x[rd] = bits(f32(x[rs1]) - f32(x[rs2]))", latency: .floatLatency, event: .fp32Add)
        case .fsqrt: .init(format: .r, operands: [.register(.scalar, .a), .register(.scalar, .b)],
                           group: .float, timing: .pipelined(latency: .divLatency),
                           energy: [.count(.registerRead, 4), .count(.registerWrite, 4), .count(.fp32Div, 1)],
                           summary: "x[rd] = bits(sqrt(f32(x[rs]))), correctly rounded; NaN for x < -0.0")
        case .fwmacbf: Self.floatWeightMAC("a[ad][l] = bits(fma(f32(a[as][l]), f32(wsram.bf16[x[rs] + x[rt] + 2l]), f32(a[ad][l]))), one rounding (l < vl)")
        case .fwmachf: Self.floatWeightMAC("a[ad][l] = bits(fma(f32(a[as][l]), f32(wsram.f16[x[rs] + x[rt] + 2l]), f32(a[ad][l]))), one rounding (l < vl)")
        case .fmvbf: Self.floatMatrix(reducesLanes: true,
                                      "a[ad][r] = bits(f32(a[ad][r]) + tree over l < vl of f32(a[as][l]) * f32(W[r][l])), W[r][l] = wsram.bf16[x[rs] + r*x[rt] + 2l] (r < ROWS)")
        case .fmvhf: Self.floatMatrix(reducesLanes: true,
                                      "a[ad][r] = bits(f32(a[ad][r]) + tree over l < vl of f32(a[as][l]) * f32(W[r][l])), W[r][l] = wsram.f16[x[rs] + r*x[rt] + 2l] (r < ROWS)")
        case .fvmbf: Self.floatMatrix(reducesLanes: false,
                                      "a[ad][l] = bits(f32(a[ad][l]) + tree over r < ROWS of f32(a[as][r]) * f32(W[r][l])), W[r][l] = wsram.bf16[x[rs] + r*x[rt] + 2l] (l < vl)")
        case .fdq: .init(format: .r, operands: [.register(.accumulator, .a), .register(.accumulator, .b), .register(.scalar, .c),
                                                .register(.scalar, .d)],
                         group: .float, timing: .floatLanesChain([.floatLatency, .divLatency, .floatLatency]),
                         energy: [.count(.registerRead, [.init(4, .vl), .init(8, .one)]), .count(.registerWrite, 4, .vl),
                                  .count(.fp32Add, 1, .vl), .count(.fp32Div, 1, .vl), .count(.fp32Mul, 1, .vl)],
                         summary: "a[ad][l] = bits((f32(s32(a[as][l])) / f32(x[rs])) * f32(x[rg])), each step rounded (l < vl)")
        case .fvmhf: Self.floatMatrix(reducesLanes: false,
                                      "a[ad][l] = bits(f32(a[ad][l]) + tree over r < ROWS of f32(a[as][r]) * f32(W[r][l])), W[r][l] = wsram.f16[x[rs] + r*x[rt] + 2l] (l < vl)")
        }
    }

    private static func scalarR(_ summary: String, latency: LatencyParameter = .aluLatency,
                                event: EnergyEvent = .int32Add) -> InstructionSpec {
        .init(format: .r, operands: [.register(.scalar, .a), .register(.scalar, .b), .register(.scalar, .c)],
              group: .scalar, timing: .pipelined(latency: latency),
              energy: [.count(.registerRead, 8), .count(.registerWrite, 4), .count(event, 1)], summary: summary)
    }

    private static func scalarI(_ kind: ImmediateKind, _ summary: String) -> InstructionSpec {
        .init(format: .i, operands: [.register(.scalar, .a), .register(.scalar, .b), .immediate(kind)],
              group: .scalar, timing: .pipelined(latency: .aluLatency),
              energy: [.count(.registerRead, 4), .count(.registerWrite, 4), .count(.int32Add, 1)], summary: summary)
    }

    private static func branch(_ summary: String) -> InstructionSpec {
        .init(format: .i, operands: [.register(.scalar, .a), .register(.scalar, .b), .target(.imm16)],
              group: .branch, timing: .branch(latency: nil),
              energy: [.count(.registerRead, 8), .count(.int32Add, 1)], summary: summary)
    }

    /// A load or store of `data` registers: it reads the base register (4 bytes) and adds
    /// the offset (1 `int32Add`); a load writes the data register, a store reads it.
    private static func memory(_ data: RegisterClass, _ space: MemorySpace, _ size: AccessSize,
                               load: Bool, _ summary: String) -> InstructionSpec {
        let unpacks = data == .trit || data == .matrix
        let registerBytes: CountTerm = switch data {
        case .scalar: .init(4, .one)
        case .vector: .init(1, .vl)
        case .accumulator: .init(4, .vl)
        case .trit: .init(1, .vlenTritBytes)
        case .matrix: .init(1, .rowsVlenTritBytes)
        }
        let memoryBytes: CountTerm = switch size {
        case .bytes(let n): .init(n, .one)
        case .activeLanes(let laneBytes): .init(laneBytes, .vl)
        case .tritRow: .init(1, .rowBytes)
        case .tritMatrix: .init(1, .tileBytes)
        }
        let traffic: EnergyEvent = switch (space, load) {
        case (.weightSRAM, true): .weightSRAMRead
        case (.weightSRAM, false): .weightSRAMWrite
        case (_, true): .activationSRAMRead
        case (_, false): .activationSRAMWrite
        }
        var energy: [EventCount] = load
            ? [.count(.registerRead, 4), .count(.registerWrite, [registerBytes])]
            : [.count(.registerRead, registerBytes.quantity == .one ? [.init(4 + registerBytes.coefficient, .one)]
                                                                    : [.init(4, .one), registerBytes])]
        energy += [.count(.int32Add, 1), .count(traffic, [memoryBytes])]
        if unpacks { energy.append(.count(.tritUnpack, [memoryBytes])) }
        return .init(format: .i, operands: [.register(data, .a), .memory], group: .memory,
                     timing: .memory(space, size, load: load, unpacks: unpacks && load),
                     energy: energy, summary: summary)
    }

    /// A DMA transfer reads its three address registers and moves len bytes.
    private static func dma(_ summary: String, from source: EnergyEvent, to destination: EnergyEvent) -> InstructionSpec {
        .init(format: .r, operands: [.register(.scalar, .a), .register(.scalar, .b), .register(.scalar, .c)],
              group: .dma, timing: .dmaEnqueue,
              energy: [.count(.registerRead, 12), .count(source, 1, .dmaLength), .count(destination, 1, .dmaLength)],
              summary: summary)
    }

    private static func acc3(_ summary: String, latency: LatencyParameter, event: EnergyEvent) -> InstructionSpec {
        .init(format: .r, operands: [.register(.accumulator, .a), .register(.accumulator, .b), .register(.accumulator, .c)],
              group: .accumulator, timing: .pipelined(latency: latency),
              energy: [.count(.registerRead, 8, .vl), .count(.registerWrite, 4, .vl), .count(event, 1, .vl)], summary: summary)
    }

    /// A float32 operation on vl accumulator lanes and a scalar: reads 4*vl + 4 bytes,
    /// writes 4*vl, one float operation per lane.
    private static func floatVectorScalar(_ summary: String, latency: LatencyParameter, event: EnergyEvent) -> InstructionSpec {
        .init(format: .r, operands: [.register(.accumulator, .a), .register(.accumulator, .b), .register(.scalar, .c)],
              group: .float, timing: .floatLanes(latency: latency),
              energy: [.count(.registerRead, [.init(4, .vl), .init(4, .one)]), .count(.registerWrite, 4, .vl), .count(event, 1, .vl)],
              summary: summary)
    }

    /// A float32 operation on two scalars: reads 8 bytes, writes 4, one float operation.
    private static func floatScalar(_ summary: String, latency: LatencyParameter, event: EnergyEvent) -> InstructionSpec {
        .init(format: .r, operands: [.register(.scalar, .a), .register(.scalar, .b), .register(.scalar, .c)],
              group: .float, timing: .pipelined(latency: latency),
              energy: [.count(.registerRead, 8), .count(.registerWrite, 4), .count(event, 1)], summary: summary)
    }

    /// A float32 operation on two accumulator registers' lanes: reads 8*vl bytes (12*vl if it
    /// accumulates into its destination), writes 4*vl, the listed float operations per lane.
    private static func floatVector(_ summary: String, latency: LatencyParameter, events: [EnergyEvent],
                                    accumulates: Bool = false) -> InstructionSpec {
        .init(format: .r, operands: [.register(.accumulator, .a), .register(.accumulator, .b), .register(.accumulator, .c)],
              group: .float, timing: .floatLanes(latency: latency),
              energy: [.count(.registerRead, accumulates ? 12 : 8, .vl), .count(.registerWrite, 4, .vl)]
                  + events.map { .count($0, 1, .vl) },
              summary: summary, roles: accumulates ? [.accumulates] : [])
    }

    /// A fused multiply-add of float32 lanes with vl 16-bit float weights read from the weight
    /// SRAM at x[rs] + x[rt]: it reads the accumulator it adds to, the multiplicand lanes and
    /// two address registers, adds them (1 `int32Add`), and reads 2*vl weight SRAM bytes.
    private static func floatWeightMAC(_ summary: String) -> InstructionSpec {
        .init(format: .r, operands: [.register(.accumulator, .a), .register(.accumulator, .b), .register(.scalar, .c),
                                     .register(.scalar, .d)],
              group: .float, timing: .floatMemory(.weightSRAM, .activeLanes(laneBytes: 2)),
              energy: [.count(.registerRead, [.init(8, .vl), .init(8, .one)]), .count(.registerWrite, 4, .vl),
                       .count(.int32Add, 1), .count(.weightSRAMRead, 2, .vl), .count(.fp32Mul, 1, .vl), .count(.fp32Add, 1, .vl)],
              summary: summary, roles: [.accumulates])
    }

    /// A product of float32 lanes with a ROWS x vl matrix of 16-bit floats in the weight SRAM
    /// (row r at x[rs] + r * x[rt]): `reducesLanes` sums each row over the vl lanes into
    /// lane r (matrix times vector), else each lane over the ROWS rows into lane l (vector
    /// times matrix). It reads the vector, the accumulator it adds to and the two address
    /// registers; computes ROWS row addresses; reads 2*ROWS*vl bytes; multiplies ROWS*vl
    /// times and adds ROWS*vl (the trees with their `+0.0 +`) plus one per result lane.
    private static func floatMatrix(reducesLanes: Bool, _ summary: String) -> InstructionSpec {
        let vector: CountQuantity = reducesLanes ? .vl : .rows, result: CountQuantity = reducesLanes ? .rows : .vl
        return .init(format: .r, operands: [.register(.accumulator, .a), .register(.accumulator, .b), .register(.scalar, .c),
                                            .register(.scalar, .d)],
                     group: .float, timing: .floatMatrix(.weightSRAM),
                     energy: [.count(.registerRead, [.init(4, vector), .init(4, result), .init(8, .one)]),
                              .count(.registerWrite, 4, result), .count(.int32Add, 1, .rows),
                              .count(.weightSRAMRead, 2, .rowsVl), .count(.fp32Mul, 1, .rowsVl),
                              .count(.fp32Add, [.init(1, .rowsVl), .init(1, result)])],
                     summary: summary, roles: [.accumulates])
    }

    private static func acc2(_ summary: String, latency: LatencyParameter, event: EnergyEvent) -> InstructionSpec {
        .init(format: .r, operands: [.register(.accumulator, .a), .register(.accumulator, .b)],
              group: .accumulator, timing: .pipelined(latency: latency),
              energy: [.count(.registerRead, 4, .vl), .count(.registerWrite, 4, .vl), .count(event, 1, .vl)], summary: summary)
    }
}
