import NMPAssembler
import NMPISA
import NMPSimulator
import Testing

/// The float32 scale unit of ISA.md 7.11: every opcode on hand-computed cases (rounding to
/// nearest even, ties, -0.0, infinities, NaN, subnormals), its latencies through a
/// dependent instruction, its scoreboard use of `vl`, and its energy counts. Every program
/// also runs on the reference machine, which must agree in every observable.
///
/// Float32 values are written as their IEEE-754 bit patterns (the assembler has no float
/// literals); the expected patterns were computed by hand and checked with numpy float32.
@Suite("Float32 scale unit")
struct FloatUnitTests {
    // Bit patterns used below.
    static let plusZero: UInt32 = 0x0000_0000, minusZero: UInt32 = 0x8000_0000
    static let one: UInt32 = 0x3F80_0000, minusOne: UInt32 = 0xBF80_0000, two: UInt32 = 0x4000_0000
    static let half: UInt32 = 0x3F00_0000, three: UInt32 = 0x4040_0000
    static let inf: UInt32 = 0x7F80_0000, minusInf: UInt32 = 0xFF80_0000
    static let nan: UInt32 = 0x7FC0_0000              // the canonical NaN
    static let signalingNaN: UInt32 = 0x7F80_0001, negativeNaN: UInt32 = 0xFFC1_2345
    static let f127: UInt32 = 0x42FE_0000, epsilon: UInt32 = 0x3727_C5AC    // 127.0, 1e-5

    var config: MachineConfig {
        var c = MachineConfig()
        c.dramSize = 1 << 20
        return c
    }

    /// Runs `source` on the simulator and the reference machine (they must agree) and
    /// returns the simulator's final state.
    func run(_ source: String, config: MachineConfig? = nil,
             sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> DifferentialSnapshot {
        let image = try differentialAssemble(source)
        let run = try #require(runDifferential(image, config: config ?? self.config, maxCycles: 100_000,
                                               context: "float unit", sourceLocation: sourceLocation))
        #expect(run.actual.trap == nil, "trapped: \(run.actual.outcome)", sourceLocation: sourceLocation)
        return run.actual
    }

    func hex(_ words: [UInt32]) -> String { words.map { "0x" + String($0, radix: 16, uppercase: true) }.joined(separator: ", ") }
    func lanes(_ s: DifferentialSnapshot, _ register: Int, _ n: Int) -> [UInt32] {
        s.accumulators[register].prefix(n).map { UInt32(bitPattern: $0) }
    }

    // MARK: Semantics

    @Test("fcvt: int32 -> float32, rounded to nearest even; tail lanes unchanged")
    func fcvt() throws {
        let s = try run("""
            addi r1, r0, 8
            setvl r0, r1
            lda a0, [r0]
            addi r2, r0, 9
            setvl r0, r2
            lda a1, [r0 + 64]       ; a1 lane 8 = 77 must survive the vl = 8 fcvt
            setvl r0, r1
            fcvt a1, a0
            halt
            .adata
            .word 0, 1, -1, 127, 16777217, 16777219, 0x7FFFFFFF, 0x80000000
            .space 32
            .word 0, 0, 0, 0, 0, 0, 0, 0, 77
            """)
        // 2^24 + 1 is a tie between 2^24 and 2^24 + 2: even significand, 2^24. 2^24 + 3 ties
        // between 2^24 + 2 and 2^24 + 4: 2^24 + 4. INT_MAX rounds up to 2^31.
        #expect(lanes(s, 1, 8) == [Self.plusZero, Self.one, Self.minusOne, Self.f127,
                                    0x4B80_0000, 0x4B80_0002, 0x4F00_0000, 0xCF00_0000])
        #expect(s.accumulators[1][8] == 77)
    }

    @Test("fmuls: lanes times a scalar; -0.0, inf, NaN canonical, subnormals, overflow")
    func fmuls() throws {
        let s = try run("""
            addi r1, r0, 8
            setvl r0, r1
            lda a0, [r0]
            lui r2, 0x4000          ; 2.0
            fmuls a1, a0, r2
            fmuls a2, a0, r0        ; times +0.0: inf * 0 and NaN give NaN
            lui r3, 0x3F00          ; 0.5
            fmuls a3, a0, r3
            halt
            .adata
            .word 0x3F800000, 0x40200000, 0x80000000, 0x7F800000, 0x7F800001, 0x00000001, 0x7F7FFFFF, 0x00000003
            """)
        // 1, 2.5, -0, inf, sNaN, 2^-149, max, 3 * 2^-149
        #expect(lanes(s, 1, 8) == [Self.two, 0x40A0_0000, Self.minusZero, Self.inf, Self.nan, 0x0000_0002, Self.inf, 0x0000_0006],
                "\(hex(lanes(s, 1, 8)))")
        #expect(lanes(s, 2, 8) == [Self.plusZero, Self.plusZero, Self.minusZero, Self.nan, Self.nan, Self.plusZero, Self.plusZero, Self.plusZero],
                "\(hex(lanes(s, 2, 8)))")
        // Halving subnormals: 2^-149 / 2 = 2^-150 ties to 0 (even); 3 * 2^-150 ties to 2 * 2^-149.
        #expect(lanes(s, 3, 8) == [Self.half, 0x3FA0_0000, Self.minusZero, Self.inf, Self.nan, Self.plusZero, 0x7EFF_FFFF, 0x0000_0002],
                "\(hex(lanes(s, 3, 8)))")
    }

    @Test("fdivs: lanes divided by a scalar; x / 0 is +-inf, 0 / 0 is NaN")
    func fdivs() throws {
        let s = try run("""
            addi r1, r0, 6
            setvl r0, r1
            lda a0, [r0]
            lui r2, 0x4040          ; 3.0
            fdivs a1, a0, r2
            fdivs a2, a0, r0        ; divided by +0.0
            halt
            .adata
            .word 0x3F800000, 0xC0400000, 0x00000000, 0x7F800000, 0xFFC12345, 0x80000000
            """)
        // 1, -3, 0, inf, NaN, -0
        #expect(lanes(s, 1, 6) == [0x3EAA_AAAB, Self.minusOne, Self.plusZero, Self.inf, Self.nan, Self.minusZero], "\(hex(lanes(s, 1, 6)))")
        #expect(lanes(s, 2, 6) == [Self.inf, Self.minusInf, Self.nan, Self.inf, Self.nan, Self.nan], "\(hex(lanes(s, 2, 6)))")
    }

    @Test("famax: max |lane|; +0.0 for vl = 0 and for -0.0; canonical NaN if any lane is NaN")
    func famax() throws {
        let s = try run("""
            addi r1, r0, 4
            setvl r0, r1
            lda a0, [r0]            ; -3.5, 2.0, -0.0, 1e-5
            famax r2, a0
            lda a1, [r0 + 16]       ; 1.0, -inf, 0.5, 2.0
            famax r3, a1
            lda a2, [r0 + 32]       ; 1.0, -NaN, 2.0, 3.0
            famax r4, a2
            lda a3, [r0 + 48]       ; -0.0 four times
            famax r5, a3
            addi r6, r0, 1
            setvl r0, r6
            famax r7, a2            ; vl = 1: only 1.0
            setvl r0, r0
            lui r8, 0x1234
            famax r8, a0            ; vl = 0: +0.0
            halt
            .adata
            .word 0xC0600000, 0x40000000, 0x80000000, 0x3727C5AC
            .word 0x3F800000, 0xFF800000, 0x3F000000, 0x40000000
            .word 0x3F800000, 0xFFC12345, 0x40000000, 0x40400000
            .word 0x80000000, 0x80000000, 0x80000000, 0x80000000
            """)
        #expect(s.scalars[2] == 0x4060_0000)        // 3.5
        #expect(s.scalars[3] == Self.inf)
        #expect(s.scalars[4] == Self.nan)
        #expect(s.scalars[5] == Self.plusZero)
        #expect(s.scalars[7] == Self.one)
        #expect(s.scalars[8] == Self.plusZero)
    }

    @Test("fq: the float32 product rounded half to even, clamped to int8; NaN gives 0")
    func fq() throws {
        let s = try run("""
            addi r1, r0, 8
            setvl r0, r1
            lui r2, 0x42FE          ; 127.0
            lui r3, 0x4000          ; 2.0
            fdiv r4, r2, r3         ; s = 127 / 2.0 = 63.5
            lda a0, [r0]
            fq v0, a0, r4
            lui r5, 0x3F80          ; 1.0
            lda a1, [r0 + 32]
            fq v1, a1, r5
            lda a2, [r0 + 64]
            fq v2, a2, r5
            lui r6, 0x40A0          ; 5.0
            lda a3, [r0 + 96]
            fq v3, a3, r6
            halt
            .adata
            ; x = 1, -1, 2, -2, 0.5, 0, 3, NaN           (times 63.5)
            .word 0x3F800000, 0xBF800000, 0x40000000, 0xC0000000, 0x3F000000, 0x00000000, 0x40400000, 0x7FC00000
            ; 2.5, -3.5, 0.5, -0.5, 1.5, 126.5, 127.5, -128.5   (times 1.0)
            .word 0x40200000, 0xC0600000, 0x3F000000, 0xBF000000, 0x3FC00000, 0x42FD0000, 0x42FF0000, 0xC3008000
            ; -129, inf, -inf, -0.0, 2^-149, -NaN, 126.49999, -127.5   (times 1.0)
            .word 0xC3010000, 0x7F800000, 0xFF800000, 0x80000000, 0x00000001, 0xFFC00000, 0x42FCFFFF, 0xC2FF0000
            ; 0.1f, 0.3f, 25.5, -0.7 (times 5.0)
            .word 0x3DCCCCCD, 0x3E99999A, 0x41CC0000, 0xBF333333, 0, 0, 0, 0
            """)
        #expect(s.scalars[4] == 0x427E_0000)        // 63.5
        // 63.5 -> 64 (even), -63.5 -> -64, 127, -127, 31.75 -> 32, 0, 190.5 -> 127, NaN -> 0.
        #expect(s.int8[0].prefix(8) == [64, -64, 127, -127, 32, 0, 127, 0])
        // Ties go to the even neighbour; 127.5 rounds to 128 and clamps to 127; -128.5 -> -128.
        #expect(s.int8[1].prefix(8) == [2, -4, 0, 0, 2, 126, 127, -128])
        #expect(s.int8[2].prefix(8) == [-128, 127, -128, 0, 0, 0, 126, -128])
        // 0.1f * 5 = 0.50000000745... exactly, which rounds to the float32 0.5 before fq
        // rounds it to an integer: 0 (even), where the exact product would give 1. Likewise
        // 0.3f * 5 = 1.5000000596... -> 1.5 -> 2 and -0.7f * 5 = -3.4999999403... -> -3.5 -> -4
        // (rounding the exact product would give -3). 25.5 * 5 = 127.5 -> 128, clamped to 127.
        #expect(s.int8[3].prefix(4) == [0, 2, 127, -4])
        #expect(s.int8[0][8] == 0)                   // tail undisturbed
    }

    @Test("fdiv: scalar quotient; /0 gives inf, 0/0 NaN; a write to r0 is discarded")
    func fdiv() throws {
        let s = try run("""
            lui r1, 0x42FE          ; 127.0
            lui r2, 0x4000          ; 2.0
            fdiv r3, r1, r2         ; 63.5
            fdiv r4, r1, r0         ; 127 / +0 = +inf
            fdiv r5, r0, r0         ; 0 / 0 = NaN
            lui r6, 0x3F80
            lui r7, 0x4040
            fdiv r8, r6, r7         ; 1/3
            lui r9, 0xBF80          ; -1.0
            lui r10, 0x7F80         ; +inf
            fdiv r11, r9, r10       ; -1 / inf = -0.0
            fdiv r0, r1, r2         ; discarded
            halt
            """)
        #expect(s.scalars[3] == 0x427E_0000)
        #expect(s.scalars[4] == Self.inf)
        #expect(s.scalars[5] == Self.nan)
        #expect(s.scalars[8] == 0x3EAA_AAAB)
        #expect(s.scalars[11] == Self.minusZero)
        #expect(s.scalars[0] == 0)
    }

    @Test("fmax: the larger float; -0.0 < +0.0 in both orders; NaN in either operand gives NaN")
    func fmax() throws {
        let s = try run("""
            lui r1, 0x3F80          ; 1.0
            lui r2, 0x4000          ; 2.0
            lui r3, 0x8000          ; -0.0
            lui r4, 0x7F80
            ori r4, r4, 1           ; signaling NaN
            lui r5, 0xFF80          ; -inf
            lui r6, 0xBF80          ; -1.0
            fmax r7, r1, r2         ; 2.0
            fmax r8, r3, r0         ; +0.0
            fmax r9, r0, r3         ; +0.0
            fmax r10, r3, r3        ; -0.0
            fmax r11, r1, r4        ; NaN
            fmax r12, r4, r1        ; NaN
            fmax r13, r5, r6        ; -1.0
            lui r14, 0x3727
            ori r14, r14, 0xC5AC    ; 1e-5
            fmax r15, r0, r14       ; max(0, 1e-5) = 1e-5: BitNet's guard against an all-zero token
            halt
            """)
        #expect(s.scalars[7] == Self.two)
        #expect(s.scalars[8] == Self.plusZero && s.scalars[9] == Self.plusZero)
        #expect(s.scalars[10] == Self.minusZero)
        #expect(s.scalars[11] == Self.nan && s.scalars[12] == Self.nan)
        #expect(s.scalars[13] == Self.minusOne)
        #expect(s.scalars[15] == Self.epsilon)
    }

    @Test("fmul: scalar product; rounding, overflow to inf, inf * 0 = NaN")
    func fmul() throws {
        let s = try run("""
            lui r1, 0x42FE          ; 127.0
            lui r2, 0x3727
            ori r2, r2, 0xC5AC      ; 1e-5
            fmul r3, r1, r2         ; 127 * 1e-5, rounded
            lui r4, 0x3FC0          ; 1.5
            fmul r5, r4, r4         ; 2.25
            lui r6, 0x7F80          ; inf
            fmul r7, r6, r0         ; inf * 0 = NaN
            lui r8, 0x7F7F
            ori r8, r8, 0xFFFF      ; largest finite float
            lui r9, 0x4000
            fmul r10, r8, r9        ; overflows to inf
            lui r11, 0x8000         ; -0.0
            fmul r12, r11, r4       ; -0.0
            halt
            """)
        #expect(s.scalars[3] == 0x3AA6_7621)
        #expect(s.scalars[5] == 0x4010_0000)
        #expect(s.scalars[7] == Self.nan)
        #expect(s.scalars[10] == Self.inf)
        #expect(s.scalars[12] == Self.minusZero)
    }

    /// The BitNet b1.58 activation quantizer, s = 127 / max(max|x|, 1e-5) and
    /// xq = clamp(round(x * s), -128, 127), and the dequantization y = acc / s * gamma,
    /// against the same computation in numpy float32 (x = 0.75, -0.37791678, 0.004, -0.0;
    /// x * s = 127, -63.993908, 0.67733335, -0). programs/absmax_quantize_float.nasm has
    /// the whole sequence, commented.
    @Test("the BitNet quantize / dequantize sequence")
    func bitNetSequence() throws {
        let s = try run("""
            addi r1, r0, 4
            setvl r0, r1
            lda a0, [r0]            ; x = 0.75, -0.3779, 0.004, -0.0
            famax r2, a0            ; 0.75
            lui r3, 0x3727
            ori r3, r3, 0xC5AC
            fmax r2, r2, r3
            lui r4, 0x42FE
            fdiv r5, r4, r2         ; s = 127 / 0.75 = 169.33333
            fq v0, a0, r5           ; [127, -64, 1, 0]
            awiden a1, v0
            fcvt a2, a1
            fdivs a2, a2, r5        ; xq / s
            lui r6, 0x3F00          ; gamma = 0.5
            fmuls a2, a2, r6
            halt
            .adata
            .word 0x3F400000, 0xBEC17E4F, 0x3B83126F, 0x80000000
            """)
        #expect(s.scalars[2] == 0x3F40_0000)
        #expect(s.scalars[5] == 0x4329_5555)        // 169.33333f
        #expect(s.int8[0].prefix(4) == [127, -64, 1, 0])
        #expect(lanes(s, 1, 4) == [127, UInt32(bitPattern: -64), 1, 0])
        // 127 / 169.33333f = 0.75 (0x3F400000), * 0.5 = 0x3EC00000; -64 / s = 0xBEC18306,
        // * 0.5 = 0xBE418306; 1 / s = 0x3BC18306, * 0.5 = 0x3B418306. The last lane is +0.0:
        // xq = 0 is an integer, so fcvt gives +0.0 (numpy, rounding -0.0 in float, keeps -0.0).
        #expect(lanes(s, 2, 4) == [0x3EC0_0000, 0xBE41_8306, 0x3B41_8306, 0x0000_0000], "\(hex(lanes(s, 2, 4)))")
    }

    // MARK: Timing

    /// Each result latency seen by a dependent instruction: the producer issues at 1, the
    /// consumer could issue at 2 and waits until 1 + latency.
    @Test(arguments: [
        ("fcvt a2, a1", "aadd a3, a2, a2", 3),          // floatLatency
        ("fmuls a2, a1, r1", "aadd a3, a2, a2", 3),     // floatLatency
        ("fdivs a2, a1, r1", "aadd a3, a2, a2", 16),    // divLatency
        ("famax r2, a1", "add r3, r2, r0", 2),          // reduceLatency
        ("fq v2, a1, r1", "awiden a3, v2", 3),          // floatLatency
        ("fdiv r2, r1, r1", "add r3, r2, r0", 16),      // divLatency
        ("fmax r2, r1, r1", "add r3, r2, r0", 3),       // floatLatency
        ("fmul r2, r1, r1", "fmul r3, r2, r2", 3),      // floatLatency
        ("fmul r2, r1, r1", "fmuls a3, a1, r2", 3),     // a float scalar feeding the vector unit
    ])
    func resultLatency(_ producer: String, _ consumer: String, _ latency: Int) throws {
        let run = try Run("addi r1, r0, 1\n\(producer)\n\(consumer)\nhalt")
        #expect(run.issues[2] == 1 + latency)
        #expect(run.stall(.data) == latency - 1)
        #expect(run.cycles == run.result.counters.retired + run.result.counters.stalls.values.reduce(0, +))
    }

    /// `floatLatency` is a config parameter of its own.
    @Test func floatLatencyIsConfigurable() throws {
        var config = MachineConfig()
        config.floatLatency = 7
        let run = try Run("fmul r2, r0, r0\nadd r3, r2, r0\nfcvt a1, a0\naadd a2, a1, a1\nhalt", config: config)
        #expect(run.issues == [0, 7, 8, 15, 16])
        #expect(run.stall(.data) == 12)
        #expect(config.latency(.floatLatency) == 7)
        #expect(MachineConfig().floatLatency == 3)
    }

    /// The vector instructions read `vl` (ISA.md 2.2); the scalar ones do not.
    @Test func vectorInstructionsWaitForVL() throws {
        var config = MachineConfig()
        config.aluLatency = 4
        for op in ["fcvt a1, a2", "fmuls a1, a2, r0", "fdivs a1, a2, r0", "famax r2, a1", "fq v1, a1, r0"] {
            let run = try Run("setvl r0, r0\n\(op)\nhalt", config: config)
            #expect(run.issues[1] == 4, "\(op)")       // vl ready at 0 + aluLatency 4
        }
        for op in ["fdiv r2, r3, r4", "fmax r2, r3, r4", "fmul r2, r3, r4"] {
            let run = try Run("setvl r0, r0\n\(op)\nhalt", config: config)
            #expect(run.issues[1] == 1, "\(op)")
        }
        // The scalar float instructions of 7.11 and 7.12 are the float group's only ones
        // without vl.
        let scalar: Set<Opcode> = [.fdiv, .fmax, .fmul, .fadd, .fsub, .fsqrt]
        for op in Opcode.allCases where op.spec.group == .float {
            #expect(op.spec.readsVL == !scalar.contains(op), "\(op)")
        }
    }

    // MARK: Energy

    /// One of each instruction at vl = 8, counted by hand from ISA.md 7.11's Energy lines.
    @Test func energyCountsMatchAHandCount() throws {
        let run = try Run("""
            addi  r1, r0, 8         ; registerRead 4, registerWrite 4, int32Add 1
            setvl r0, r1            ; registerRead 4, registerWrite 4, int32Add 1
            fcvt  a1, a0            ; registerRead 32, registerWrite 32, fp32Add 8
            fmuls a1, a1, r1        ; registerRead 36, registerWrite 32, fp32Mul 8
            fdivs a1, a1, r1        ; registerRead 36, registerWrite 32, fp32Div 8
            famax r2, a1            ; registerRead 32, registerWrite 4, fp32Add 8
            fq    v0, a1, r1        ; registerRead 36, registerWrite 8, fp32Mul 8, int8Op 8
            fdiv  r3, r1, r1        ; registerRead 8, registerWrite 4, fp32Div 1
            fmax  r3, r1, r1        ; registerRead 8, registerWrite 4, fp32Add 1
            fmul  r3, r1, r1        ; registerRead 8, registerWrite 4, fp32Mul 1
            halt
            """)
        let expected: [EnergyEvent: Int] = [
            .instruction: 11, .registerRead: 4 + 4 + 32 + 36 + 36 + 32 + 36 + 8 + 8 + 8,
            .registerWrite: 4 + 4 + 32 + 32 + 32 + 4 + 8 + 4 + 4 + 4, .int32Add: 2, .int8Op: 8,
            .fp32Add: 8 + 8 + 1, .fp32Mul: 8 + 8 + 1, .fp32Div: 8 + 1,
        ]
        for event in EnergyEvent.allCases {
            #expect(run.result.events[event] == expected[event] ?? 0, "\(event)")
        }
        // Priced in the fp32 category at the default table's 0.38, 1.31 and 13.1 pJ.
        let fp32 = 17 * 0.38 + 17 * 1.31 + 9 * 13.1
        #expect(abs(run.result.energy.byCategory[.fp32] - fp32) < 1e-9)
        #expect(EnergyReport.Category(.fp32Div) == .fp32 && EnergyReport.Category.fp32.key == "fp32")
    }

    // MARK: Encoding and assembly

    @Test func encodingAndOperandClasses() throws {
        let words: [(String, UInt32)] = [
            ("fcvt a1, a2", 0x0000_2180), ("fmuls a1, a2, r3", 0x0003_2181), ("fdivs a7, a0, r15", 0x000F_0782),
            ("famax r4, a5", 0x0000_5483), ("fq v1, a2, r3", 0x0003_2184), ("fdiv r1, r2, r3", 0x0003_2185),
            ("fmax r1, r2, r3", 0x0003_2186), ("fmul r15, r14, r13", 0x000D_EF87),
        ]
        for (text, word) in words {
            let result = Assembler.assemble(source: text + "\nhalt\n", fileName: "f.nasm")
            let image = try #require(result.image, "\(text): \(result.renderedDiagnostics)")
            #expect(image.code.first == word, "\(text)")
            #expect(Disassembler.text(ofWord: word, pc: 0).hasPrefix(text.split(separator: " ").first!), "\(text)")
        }
        for wrong in ["fq a1, a2, r3", "fmuls a1, a2, a3", "famax a1, a2", "fdiv r1, r2", "fcvt a1, r2"] {
            #expect(Assembler.assemble(source: wrong + "\nhalt\n", fileName: "f.nasm").image == nil, "\(wrong)")
        }
        // Unused fields must be zero: D of fq, C of fcvt.
        #expect(throws: (any Error).self) { try Instruction(decoding: 0x0100_2184) }
        #expect(throws: (any Error).self) { try Instruction(decoding: 0x0001_2180) }
    }
}
