import Foundation
import NMPAssembler
import NMPISA
import NMPSimulator
import NMPSupport
import Testing

/// The float32 vector unit of ISA.md 7.12 and the bfloat16/binary16 loads and stores of
/// 7.6: every instruction on all pairs of special values (NaNs, infinities, signed zeros,
/// subnormals, ties, the largest values) against the reference machine's float arithmetic
/// (Reference/ReferenceFloat.swift, written from ISA.md's pseudo-code) and against ISA.md's
/// examples written out as bit patterns; vl = 0, 1 and VLEN with the tail undisturbed;
/// the conversions exhaustively; fexp's accuracy against the C library's exp; the cycles of
/// 6.10 and the energy lines of 7.6 and 7.12.
@Suite("Float32 vector unit")
struct FloatVectorUnitTests {
    // MARK: Values

    /// Float32 patterns that exercise the special cases of 7.12.
    static let specials: [UInt32] = [
        0x0000_0000, 0x8000_0000, 0x3F80_0000, 0xBF80_0000,  // +0, -0, 1, -1
        0x3FC0_0000, 0x4020_0000, 0xC060_0000, 0x4CBE_BC20,  // 1.5, 2.5, -3.5, 1e8
        0x3EAA_AAAB, 0x3DCC_CCCD, 0x7F80_0000, 0xFF80_0000,  // 1/3, 0.1, +inf, -inf
        0x7FC0_0000, 0x7F80_0001, 0xFFC1_2345, 0x0000_0001,  // NaN, signaling NaN, -NaN, 2^-149
        0x007F_FFFF, 0x0080_0000, 0x7F7F_FFFF, 0xFF7F_FFFF,  // largest subnormal, smallest normal, +-max
        0x1A00_0000, 0x3F80_0800, 0xBF80_1000, 0x3727_C5AC,  // 2^-75, 1 + 2^-12, -(1 + 2^-11), 1e-5
        0x42FE_0000, 0x42B1_7218, 0xC2CF_F1B5, 0x4120_0000,  // 127, fexp's bounds, 10
        0xC120_0000, 0x3F00_0000, 0x477F_F000, 0x8000_0001,  // -10, 0.5, 65520, -2^-149
    ]

    var config: MachineConfig {
        var c = MachineConfig()
        c.dramSize = 1 << 20
        return c
    }

    /// Assembles `source`, puts `words` at asram address 0, runs it on the simulator and
    /// the reference machine (which must agree in every observable) and returns the run.
    func run(_ source: String, words: [UInt32] = [], config: MachineConfig? = nil, maxCycles: Int = 2_000_000,
             sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> DifferentialRun {
        let config = config ?? self.config
        var image = try differentialAssemble(source)
        image.activationData = words.flatMap { word in (0..<4).map { UInt8(truncatingIfNeeded: word >> (8 * $0)) } }
        let run = try #require(runDifferential(image, config: config, maxCycles: maxCycles, context: "float vector unit",
                                               sourceLocation: sourceLocation))
        #expect(run.actual.trap == nil, "trapped: \(run.actual.outcome)", sourceLocation: sourceLocation)
        return run
    }

    /// The 32-bit word at asram byte address `address` after the run.
    func word(_ run: DifferentialRun, _ address: Int) -> UInt32 {
        let b = run.actual.asram
        return UInt32(b[address]) | UInt32(b[address + 1]) << 8 | UInt32(b[address + 2]) << 16 | UInt32(b[address + 3]) << 24
    }

    func lanes(_ run: DifferentialRun, _ register: Int, _ n: Int) -> [UInt32] {
        run.actual.accumulators[register].prefix(n).map { UInt32(bitPattern: $0) }
    }

    func hex(_ words: [UInt32]) -> String { words.map { "0x" + String($0, radix: 16, uppercase: true) }.joined(separator: ", ") }

    // MARK: Lane-wise operations on all pairs of special values

    enum BinaryOp: String, CaseIterable, CustomTestStringConvertible, Sendable {
        case fvadd, fvsub, fvmul, fvdiv, fvmax, fvmac
        var testDescription: String { rawValue }

        /// ISA.md 7.12's operation for one lane: d is the destination's old value.
        func expected(_ p: UInt32, _ q: UInt32, _ d: UInt32) -> UInt32 {
            switch self {
            case .fvadd: RefFloat.add(p, q)
            case .fvsub: RefFloat.subtract(p, q)
            case .fvmul: RefFloat.multiply(p, q)
            case .fvdiv: RefFloat.divide(p, q)
            case .fvmax: RefFloat.maximum(p, q)
            case .fvmac: RefFloat.fma(p, q, d)
            }
        }
    }

    /// 32 x 32 pairs in 16 registers' worth of lanes; the destination starts as a third
    /// special value (the accumulator of fvmac).
    @Test("lane-wise two-accumulator operations on all pairs of special values", arguments: BinaryOp.allCases)
    func binaryOnAllPairs(_ op: BinaryOp) throws {
        let n = Self.specials.count
        let p = (0..<n * n).map { Self.specials[$0 / n] }
        let q = (0..<n * n).map { Self.specials[$0 % n] }
        let d = (0..<n * n).map { Self.specials[($0 * 7 + 3) % n] }
        var source = ""
        for chunk in 0..<(n * n / 64) {
            let offset = chunk * 256
            source += """
                lda a0, [r0 + \(offset)]
                lda a1, [r0 + \(offset + 4096)]
                lda a2, [r0 + \(offset + 8192)]
                \(op.rawValue) a2, a0, a1
                sta a2, [r0 + \(offset + 8192)]

                """
        }
        let run = try run(source + "halt\n", words: p + q + d)
        for i in 0..<n * n {
            let expected = op.expected(p[i], q[i], d[i])
            #expect(word(run, 8192 + 4 * i) == expected,
                    "\(op.rawValue)(\(hex([p[i]])), \(hex([q[i]])), d \(hex([d[i]]))) = \(hex([word(run, 8192 + 4 * i)])), expected \(hex([expected]))")
        }
    }

    enum ScalarOp: String, CaseIterable, CustomTestStringConvertible, Sendable {
        case fadds, fsubs, fmaxs, fmacs
        var testDescription: String { rawValue }

        func expected(_ lane: UInt32, _ s: UInt32, _ d: UInt32) -> UInt32 {
            switch self {
            case .fadds: RefFloat.add(lane, s)
            case .fsubs: RefFloat.subtract(lane, s)
            case .fmaxs: RefFloat.maximum(lane, s)
            case .fmacs: RefFloat.fma(lane, s, d)
            }
        }
    }

    /// Every special value as the scalar against every special value as a lane.
    @Test("lane-scalar operations on all pairs of special values", arguments: ScalarOp.allCases)
    func scalarOnAllPairs(_ op: ScalarOp) throws {
        let n = Self.specials.count
        let lanes = Self.specials + Self.specials.reversed()           // 64 lanes
        let start = lanes.map { $0 ^ 0x8000_0000 }                        // the destination's old values
        var source = "lda a0, [r0]\n"
        for k in Self.specials.indices {
            source += """
                lw r1, [r0 + \(512 + 4 * k)]
                lda a1, [r0 + 256]
                \(op.rawValue) a1, a0, r1
                sta a1, [r0 + \(1024 + 256 * k)]

                """
        }
        let run = try run(source + "halt\n", words: lanes + start + Self.specials)
        for (k, s) in Self.specials.enumerated() {
            for l in 0..<2 * n {
                let actual = word(run, 1024 + 256 * k + 4 * l)
                let expected = op.expected(lanes[l], s, start[l])
                #expect(actual == expected, "\(op.rawValue)(\(hex([lanes[l]])), \(hex([s])), d \(hex([start[l]]))) = \(hex([actual])), expected \(hex([expected]))")
            }
        }
    }

    enum ScalarFloatOp: String, CaseIterable, CustomTestStringConvertible, Sendable {
        case fadd, fsub, fsqrt
        var testDescription: String { rawValue }
    }

    @Test("scalar fadd, fsub and fsqrt on all pairs of special values", arguments: ScalarFloatOp.allCases)
    func scalarFloat(_ op: ScalarFloatOp) throws {
        let n = Self.specials.count
        var source = ""
        for i in 0..<n {
            for j in 0..<(op == .fsqrt ? 1 : n) {
                source += "lw r1, [r0 + \(4 * i)]\nlw r2, [r0 + \(4 * j)]\n"
                source += op == .fsqrt ? "fsqrt r3, r1\n" : "\(op.rawValue) r3, r1, r2\n"
                source += "sw r3, [r0 + \(256 + 4 * (i * n + j))]\n"
            }
        }
        let run = try run(source + "halt\n", words: Self.specials)
        for i in 0..<n {
            for j in 0..<(op == .fsqrt ? 1 : n) {
                let (p, q) = (Self.specials[i], Self.specials[j])
                let expected = switch op {
                case .fadd: RefFloat.add(p, q)
                case .fsub: RefFloat.subtract(p, q)
                case .fsqrt: RefFloat.squareRoot(p)
                }
                #expect(word(run, 256 + 4 * (i * n + j)) == expected, "\(op.rawValue) \(hex([p, q]))")
            }
        }
    }

    // MARK: ISA.md's examples, as bit patterns

    @Test("ISA.md 7.12's examples of the lane-wise and scalar instructions")
    func documentedExamples() throws {
        let run = try run("""
            addi r9, r0, 4
            setvl r0, r9
            lda a0, [r0]            ; 1.5, 1e8, -0.0, 2^-149
            lda a1, [r0 + 16]       ; 2.25, 1.0, -0.0, 2^-149
            fvadd a2, a0, a1        ; 3.75, 1e8, -0.0, 2^-148
            lda a3, [r0 + 32]       ; 1 + 2^-12 (x3), -(1 + 2^-11)
            lda a4, [r0 + 48]       ; d = -(1 + 2^-11), 0, 0, 0
            fvmac a4, a3, a3        ; 2^-24 in lane 0
            fvmul a5, a3, a3
            lda a6, [r0 + 48]
            fvadd a5, a5, a6        ; unfused: +0.0 in lane 0
            lda a7, [r0 + 64]       ; 1.0, -1.0, 0.0, 1.0
            lda a6, [r0 + 80]       ; 3.0, +0.0, 0.0, -inf
            fvdiv a7, a7, a6        ; 1/3, -inf, NaN, -0.0
            lui r1, 0x7FC0          ; NaN
            lui r2, 0x3F80          ; 1.0
            fadd r3, r1, r2         ; NaN
            lui r4, 0x3DCC
            ori r4, r4, 0xCCCD      ; 0.1
            lui r5, 0x3E4C
            ori r5, r5, 0xCCCD      ; 0.2
            fadd r6, r4, r5         ; 0x3E99999A
            lui r7, 0x8000          ; -0.0
            fsub r8, r7, r0         ; -0.0 - +0.0 = -0.0
            fsqrt r10, r7           ; -0.0
            lui r11, 0x4000
            fsqrt r12, r11          ; sqrt(2) = 0x3FB504F3
            addi r13, r0, 1
            fsqrt r14, r13          ; sqrt(2^-149) = 0x1A3504F3
            lui r15, 0xBF80
            fsqrt r15, r15          ; NaN
            halt
            """, words: [0x3FC0_0000, 0x4CBE_BC20, 0x8000_0000, 0x0000_0001,
                         0x4010_0000, 0x3F80_0000, 0x8000_0000, 0x0000_0001,
                         0x3F80_0800, 0x3F80_0800, 0x3F80_0800, 0xBF80_1000,
                         0xBF80_1000, 0, 0, 0,
                         0x3F80_0000, 0xBF80_0000, 0, 0x3F80_0000,
                         0x4040_0000, 0, 0, 0xFF80_0000])
        #expect(lanes(run, 2, 4) == [0x4070_0000, 0x4CBE_BC20, 0x8000_0000, 0x0000_0002])
        #expect(lanes(run, 4, 1) == [0x3380_0000])
        #expect(lanes(run, 5, 1) == [0x0000_0000])
        #expect(lanes(run, 7, 4) == [0x3EAA_AAAB, 0xFF80_0000, 0x7FC0_0000, 0x8000_0000])
        let x = run.actual.scalars
        #expect(x[3] == 0x7FC0_0000 && x[6] == 0x3E99_999A && x[8] == 0x8000_0000)
        #expect(x[10] == 0x8000_0000 && x[12] == 0x3FB5_04F3 && x[14] == 0x1A35_04F3 && x[15] == 0x7FC0_0000)
    }

    @Test("fmaxs with +0.0 is a ReLU; fsubs; fmacs is an axpy with one rounding")
    func laneScalarExamples() throws {
        let run = try run("""
            addi r9, r0, 4
            setvl r0, r9
            lda a0, [r0]            ; -2.5, -0.0, 3.0, NaN
            fmaxs a1, a0, r0        ; +0.0, +0.0, 3.0, NaN
            lui r1, 0x4040          ; 3.0
            fsubs a2, a0, r1        ; -5.5, -3.0, +0.0, NaN
            lda a3, [r0 + 16]       ; 2.0 ...
            lda a4, [r0 + 32]       ; 1.0 ...
            fmacs a4, a3, r1        ; 7.0
            halt
            """, words: [0xC020_0000, 0x8000_0000, 0x4040_0000, 0xFFC1_2345,
                         0x4000_0000, 0x4000_0000, 0x4000_0000, 0x4000_0000,
                         0x3F80_0000, 0x3F80_0000, 0x3F80_0000, 0x3F80_0000])
        #expect(lanes(run, 1, 4) == [0, 0, 0x4040_0000, 0x7FC0_0000])
        #expect(lanes(run, 2, 4) == [0xC0B0_0000, 0xC040_0000, 0, 0x7FC0_0000])
        #expect(lanes(run, 4, 4) == Array(repeating: 0x40E0_0000, count: 4))
    }

    // MARK: vl

    /// Every lane instruction with vl = 0, 1, 37 and VLEN: lanes below vl computed, the
    /// others unchanged; for the reductions vl = 0 gives +0.0 (fsum) and -inf (frmax).
    @Test("vl = 0, 1, 37, VLEN; tail undisturbed",
          arguments: ["fvadd a2, a0, a1", "fvsub a2, a0, a1", "fvmul a2, a0, a1", "fvdiv a2, a0, a1", "fvmax a2, a0, a1",
                      "fvmac a2, a0, a1", "fadds a2, a0, r5", "fsubs a2, a0, r5", "fmaxs a2, a0, r5", "fmacs a2, a0, r5",
                      "fexp a2, a0"], [0, 1, 37, 64])
    func tailUndisturbed(_ instruction: String, _ vl: Int) throws {
        let a0 = (0..<64).map { Self.specials[$0 % Self.specials.count] }
        let a1 = (0..<64).map { Self.specials[($0 * 5 + 1) % Self.specials.count] }
        let a2 = (0..<64).map { UInt32(0x4000_0000 + $0) }
        let run = try run("""
            lda a0, [r0]
            lda a1, [r0 + 256]
            lda a2, [r0 + 512]
            lui r5, 0x3FC0          ; 1.5
            addi r1, r0, \(vl)
            setvl r0, r1
            \(instruction)
            halt
            """, words: a0 + a1 + a2)
        let result = lanes(run, 2, 64)
        #expect(Array(result[vl...]) == Array(a2[vl...]), "\(instruction) vl \(vl): lanes at and above vl changed")
        let op = instruction.split(separator: " ")[0]
        for l in 0..<vl {
            let expected: UInt32 = switch op {
            case "fvadd": RefFloat.add(a0[l], a1[l])
            case "fvsub": RefFloat.subtract(a0[l], a1[l])
            case "fvmul": RefFloat.multiply(a0[l], a1[l])
            case "fvdiv": RefFloat.divide(a0[l], a1[l])
            case "fvmax": RefFloat.maximum(a0[l], a1[l])
            case "fvmac": RefFloat.fma(a0[l], a1[l], a2[l])
            case "fadds": RefFloat.add(a0[l], 0x3FC0_0000)
            case "fsubs": RefFloat.subtract(a0[l], 0x3FC0_0000)
            case "fmaxs": RefFloat.maximum(a0[l], 0x3FC0_0000)
            case "fmacs": RefFloat.fma(a0[l], 0x3FC0_0000, a2[l])
            default: RefFloat.exp(a0[l])
            }
            #expect(result[l] == expected, "\(instruction) lane \(l)")
        }
    }

    // MARK: Reductions

    @Test("fsum: the pairwise tree of ISA.md 7.12, +0.0 for vl = 0 and for -0.0")
    func fsumExamples() throws {
        let run = try run("""
            addi r1, r0, 5
            setvl r0, r1
            lda a0, [r0]            ; 1, 2, 3, 4, 5
            fsum r2, a0             ; 15
            addi r1, r0, 4
            setvl r0, r1
            lda a1, [r0 + 32]       ; 1e8, 1, -1e8, 1
            fsum r3, a1             ; +0.0 (left to right would give 1.0)
            addi r1, r0, 1
            setvl r0, r1
            lda a2, [r0 + 64]       ; -0.0
            fsum r4, a2             ; +0.0
            addi r1, r0, 2
            setvl r0, r1
            lda a3, [r0 + 96]       ; +inf, 1.0
            fsum r5, a3
            lda a4, [r0 + 128]      ; +inf, -inf
            fsum r6, a4
            setvl r0, r0
            lui r7, 0x1234
            fsum r7, a0             ; vl = 0: +0.0
            halt
            """, words: [0x3F80_0000, 0x4000_0000, 0x4040_0000, 0x4080_0000, 0x40A0_0000, 0, 0, 0,
                         0x4CBE_BC20, 0x3F80_0000, 0xCCBE_BC20, 0x3F80_0000, 0, 0, 0, 0,
                         0x8000_0000, 0, 0, 0, 0, 0, 0, 0,
                         0x7F80_0000, 0x3F80_0000, 0, 0, 0, 0, 0, 0,
                         0x7F80_0000, 0xFF80_0000])
        let x = run.actual.scalars
        #expect(x[2] == 0x4170_0000)
        #expect(x[3] == 0x0000_0000)
        #expect(x[4] == 0x0000_0000)
        #expect(x[5] == 0x7F80_0000 && x[6] == 0x7FC0_0000)
        #expect(x[7] == 0x0000_0000)
    }

    /// The tree's order, lane count by lane count: values chosen so that each order of
    /// addition gives a different float32 sum, against a sum written out in the test from
    /// ISA.md's pseudo-code.
    @Test("fsum's order for every vl from 0 to VLEN", arguments: [64, 65])
    func fsumOrder(_ vlen: Int) throws {
        var config = self.config
        config.vlen = vlen
        config.rows = 32
        var rng = SplitMix64(seed: UInt64(vlen))
        // Magnitudes spread over 2^-10 ... 2^20 with both signs: rounding differs by order.
        let values: [UInt32] = (0..<vlen).map { _ in
            let exponent = UInt32(117 + rng.next() % 30), fraction = UInt32(truncatingIfNeeded: rng.next()) & 0x7F_FFFF
            return (rng.next() % 2 == 0 ? 0 : 0x8000_0000) | exponent << 23 | fraction
        }
        var source = "lda a0, [r0]\n"
        for vl in 0...vlen {
            source += "addi r1, r0, \(vl)\nsetvl r0, r1\nfsum r2, a0\nsw r2, [r0 + \(4 * vlen + 4 * vl)]\n"
        }
        let run = try run(source + "halt\n", words: values, config: config)
        for vl in 0...vlen {
            // ISA.md 7.12, as written: a list of levels.
            var s = Array(values.prefix(vl))
            while s.count > 1 {
                var level: [UInt32] = []
                for i in 0..<s.count / 2 { level.append(RefFloat.add(s[2 * i], s[2 * i + 1])) }
                if s.count % 2 == 1 { level.append(s[s.count - 1]) }
                s = level
            }
            let expected = RefFloat.add(0, s.first ?? 0)
            #expect(word(run, 4 * vlen + 4 * vl) == expected, "vl \(vl)")
        }
    }

    @Test("frmax: signed maximum from -inf; -0.0 < +0.0; NaN if any lane is NaN")
    func frmaxExamples() throws {
        let run = try run("""
            addi r1, r0, 4
            setvl r0, r1
            lda a0, [r0]            ; -3.5, 2.0, -0.0, 1e-5
            frmax r2, a0            ; 2.0
            addi r1, r0, 2
            setvl r0, r1
            lda a1, [r0 + 16]       ; -0.0, +0.0
            frmax r3, a1            ; +0.0
            lda a2, [r0 + 32]       ; +0.0, -0.0
            frmax r4, a2            ; +0.0
            lda a3, [r0 + 48]       ; 1.0, NaN
            frmax r5, a3            ; NaN
            addi r1, r0, 1
            setvl r0, r1
            frmax r6, a1            ; -0.0
            lda a4, [r0 + 64]       ; -inf
            frmax r7, a4            ; -inf
            setvl r0, r0
            frmax r8, a0            ; -inf
            halt
            """, words: [0xC060_0000, 0x4000_0000, 0x8000_0000, 0x3727_C5AC,
                         0x8000_0000, 0, 0, 0,
                         0, 0x8000_0000, 0, 0,
                         0x3F80_0000, 0x7F80_0001, 0, 0,
                         0xFF80_0000])
        let x = run.actual.scalars
        #expect(x[2] == 0x4000_0000 && x[3] == 0 && x[4] == 0 && x[5] == 0x7FC0_0000)
        #expect(x[6] == 0x8000_0000 && x[7] == 0xFF80_0000 && x[8] == 0xFF80_0000)
    }

    // MARK: fexp

    @Test("fexp: ISA.md 7.12's examples and bounds")
    func fexpExamples() throws {
        let inputs: [UInt32] = [0x0000_0000, 0x8000_0000, 0x3F80_0000, 0xBF80_0000, 0x4120_0000, 0xC120_0000,
                                0xC2AE_AC50, 0x7F80_0000, 0xFF80_0000, 0x42B1_7218, 0x42B1_7217, 0xC2CF_F1B5,
                                0xC2CF_F1B4, 0xC2C6_B6C3, 0x7FC1_2345, 0x42B1_7219]
        let expected: [UInt32] = [0x3F80_0000, 0x3F80_0000, 0x402D_F854, 0x3EBC_5AB2, 0x46AC_14EF, 0x383E_6BCE,
                                  0x007F_FFE6, 0x7F80_0000, 0x0000_0000, 0x7F80_0000, 0x7F7F_FF84, 0x0000_0000,
                                  0x0000_0001, 0x0000_0033, 0x7FC0_0000, 0x7F80_0000]
        let run = try run("addi r1, r0, \(inputs.count)\nsetvl r0, r1\nlda a0, [r0]\nfexp a1, a0\nhalt\n", words: inputs)
        #expect(lanes(run, 1, inputs.count) == expected, "\(hex(lanes(run, 1, inputs.count)))")
    }

    /// fexp against e^x in Double from the C library: at most 2 ulp of the correctly rounded
    /// result over [-87, 88] (ISA.md states the exhaustive maximum, 0.939 ulp), never below
    /// the previous result by more than one ulp, and bit for bit the reference's algorithm.
    @Test("fexp: accuracy and monotonicity over [-87, 88]")
    func fexpAccuracy() throws {
        var config = self.config
        config.activationSRAM.size = 1 << 20
        let count = 65_536
        // Evenly spaced in value plus random bit patterns in range, sorted.
        var rng = SplitMix64(seed: 7)
        var inputs = (0..<count / 2).map { Float(-87.0 + 175.0 * Double($0) / Double(count / 2 - 1)) }
        while inputs.count < count {
            let x = Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()))
            if x >= -87 && x <= 88 { inputs.append(x) }
        }
        inputs.sort()
        var image = try differentialAssemble("""
            addi r1, r0, 1024       ; 1024 blocks of 64 lanes
            lui r2, 4               ; results at 256 KiB
            loop r1, end
            lda a0, [r3]
            fexp a1, a0
            sta a1, [r2]
            addi r3, r3, 256
            addi r2, r2, 256
            end: halt
            """)
        image.activationData = inputs.flatMap { x in (0..<4).map { UInt8(truncatingIfNeeded: x.bitPattern >> (8 * $0)) } }
        let simulator = try Simulator(image: image, config: config)
        #expect(simulator.run().halted)
        let bytes = try #require(simulator.read(.activationSRAM, at: 1 << 18, count: 4 * count))
        var worst = 0.0, previous: Float = 0
        for (i, x) in inputs.enumerated() {
            let bits = UInt32(bytes[4 * i]) | UInt32(bytes[4 * i + 1]) << 8 | UInt32(bytes[4 * i + 2]) << 16 | UInt32(bytes[4 * i + 3]) << 24
            #expect(bits == RefFloat.exp(x.bitPattern), "fexp(\(x)) differs from ISA.md's algorithm")
            let y = Float(bitPattern: bits)
            let exact = Foundation.exp(Double(x))
            let error = abs(Double(y) - exact) / Double(Float(exact).ulp)
            worst = max(worst, error)
            #expect(error <= 2, "fexp(\(x)) = \(y), e^x = \(exact): \(error) ulp")
            if i > 0 { #expect(y >= previous.nextDown, "fexp(\(x)) = \(y) falls below \(previous)") }
            previous = y
        }
        #expect(worst < 1, "worst error \(worst) ulp; ISA.md states 0.939")
    }

    // MARK: bfloat16 and binary16

    /// All 65536 half-word patterns, loaded by ldbf and ldhf and stored back as float32.
    @Test("ldbf and ldhf convert every 16-bit pattern exactly; NaN becomes canonical", arguments: ["ldbf", "ldhf"])
    func halfLoadsExhaustive(_ op: String) throws {
        var config = self.config
        config.activationSRAM.size = 1 << 19
        var image = try differentialAssemble("""
            addi r1, r0, 1024
            lui r3, 2               ; float32 results at 128 KiB
            loop r1, end
            \(op) a0, [r2]
            sta a0, [r3]
            addi r2, r2, 128
            addi r3, r3, 256
            end: halt
            """)
        image.activationData = (0..<65_536).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        let simulator = try Simulator(image: image, config: config)
        #expect(simulator.run().halted)
        let bytes = try #require(simulator.read(.activationSRAM, at: 1 << 17, count: 4 * 65_536))
        for h in 0..<65_536 {
            let bits = UInt32(bytes[4 * h]) | UInt32(bytes[4 * h + 1]) << 8 | UInt32(bytes[4 * h + 2]) << 16 | UInt32(bytes[4 * h + 3]) << 24
            #expect(bits == Self.halfToFloat(UInt16(h), bfloat: op == "ldbf"), "\(op) 0x\(String(h, radix: 16))")
        }
    }

    /// ISA.md 7.6's operations for a load, written out: the value of the half-word (sign,
    /// exponent, fraction, subnormals) as a Double, which is exactly a float32.
    static func halfToFloat(_ h: UInt16, bfloat: Bool) -> UInt32 {
        let (fractionBits, exponentBits) = bfloat ? (7, 8) : (10, 5)
        let fraction = Int(h) & ((1 << fractionBits) - 1)
        let exponent = (Int(h) >> fractionBits) & ((1 << exponentBits) - 1)
        let bias = (1 << (exponentBits - 1)) - 1
        let sign = h & 0x8000 != 0 ? -1.0 : 1.0
        if exponent == (1 << exponentBits) - 1 { return fraction != 0 ? 0x7FC0_0000 : (h & 0x8000 != 0 ? 0xFF80_0000 : 0x7F80_0000) }
        let magnitude = exponent == 0
            ? Double(fraction) * pow(2, Double(1 - bias - fractionBits))
            : Double(fraction + (1 << fractionBits)) * pow(2, Double(exponent - bias - fractionBits))
        return Float(sign * magnitude).bitPattern
    }

    /// float32 patterns of every sign and exponent with fractions that make ties, near ties
    /// and carries at both half formats' rounding positions, stored by stbf and sthf.
    @Test("stbf and sthf round to nearest even, overflow to inf, NaN canonical", arguments: ["stbf", "sthf"])
    func halfStores(_ op: String) throws {
        var config = self.config
        config.activationSRAM.size = 1 << 19
        let fractions: [UInt32] = [0, 1, 0x0FFF, 0x1000, 0x1001, 0x1FFF, 0x2000, 0x3000, 0x7FFF, 0x8000, 0x8001,
                                   0x1_8000, 0x1_7FFF, 0x40_0000, 0x7F_E000, 0x7F_F000, 0x7F_FFFF, 0x7F_8000, 0x55_5555, 0x2A_AAAA]
        var values: [UInt32] = []
        for sign: UInt32 in [0, 0x8000_0000] {
            for exponent: UInt32 in 0...255 {
                for fraction in fractions { values.append(sign | exponent << 23 | fraction) }
            }
        }
        while values.count % 64 != 0 { values.append(0x7FC1_2345) }
        var image = try differentialAssemble("""
            addi r1, r0, \(values.count / 64)
            lui r3, 4               ; half-word results at 256 KiB
            loop r1, end
            lda a0, [r2]
            \(op) a0, [r3]
            addi r2, r2, 256
            addi r3, r3, 128
            end: halt
            """)
        image.activationData = values.flatMap { v in (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
        let simulator = try Simulator(image: image, config: config)
        #expect(simulator.run().halted)
        let bytes = try #require(simulator.read(.activationSRAM, at: 1 << 18, count: 2 * values.count))
        for (i, v) in values.enumerated() {
            let h = UInt32(bytes[2 * i]) | UInt32(bytes[2 * i + 1]) << 8
            let format = op == "stbf" ? RefFloat.bfloat16 : RefFloat.binary16
            #expect(h == RefFloat.convert(v, from: RefFloat.binary32, to: format), "\(op) \(hex([v])) -> \(hex([h]))")
        }
    }

    @Test("ISA.md 7.6's examples of the half-width loads and stores")
    func halfExamples() throws {
        let run = try run("""
            addi r1, r0, 5
            setvl r0, r1
            ldbf a0, [r0]           ; 0x3F80, 0xC049, 0x0001, 0xFF80, 0x7FC1
            ldhf a1, [r0 + 16]      ; 0x3C00, 0x3555, 0x7BFF, 0x0001, 0xFE00
            addi r1, r0, 7
            setvl r0, r1
            lda a2, [r0 + 32]
            stbf a2, [r0 + 128]
            lda a3, [r0 + 64]
            sthf a3, [r0 + 160]
            halt
            """, words: [0xC049_3F80, 0xFF80_0001, 0x0000_7FC1, 0,
                         0x3555_3C00, 0x0001_7BFF, 0x0000_FE00, 0,
                         // 1.0, tie -> even, tie -> up, above a tie, largest float32, -0.0, -NaN
                         0x3F80_0000, 0x3F80_8000, 0x3F81_8000, 0x3F80_8001, 0x7F7F_FFFF, 0x8000_0000, 0xFFC1_2345, 0,
                         // 1.0, 1 + 2^-11 (tie), 1 + 3 * 2^-11 (tie), 65519.996, 65520, 2^-25, -pi
                         0x3F80_0000, 0x3F80_1000, 0x3F80_3000, 0x477F_EFFF, 0x477F_F000, 0x3300_0000, 0xC049_0FDB, 0])
        #expect(lanes(run, 0, 5) == [0x3F80_0000, 0xC049_0000, 0x0001_0000, 0xFF80_0000, 0x7FC0_0000])
        #expect(lanes(run, 1, 5) == [0x3F80_0000, 0x3EAA_A000, 0x477F_E000, 0x3380_0000, 0x7FC0_0000])
        let halves = { (base: Int) in (0..<7).map { UInt16(run.actual.asram[base + 2 * $0]) | UInt16(run.actual.asram[base + 2 * $0 + 1]) << 8 } }
        #expect(halves(128) == [0x3F80, 0x3F80, 0x3F82, 0x3F81, 0x7F80, 0x8000, 0x7FC0])
        #expect(halves(160) == [0x3C00, 0x3C00, 0x3C02, 0x7BFF, 0x7C00, 0x0000, 0xC248])
    }

    @Test("half-width accesses need an even address", arguments: ["ldbf a0, [r1]", "stbf a0, [r1]", "ldhf a0, [r1]", "sthf a0, [r1]"])
    func halfAlignment(_ instruction: String) throws {
        let image = try differentialAssemble("addi r1, r0, 3\n\(instruction)\nhalt\n")
        let run = try #require(runDifferential(image, config: config, context: "alignment"))
        #expect(run.actual.trap?.cause == "misaligned" && run.actual.trap?.pc == 1)
        let inBounds = try differentialAssemble("lui r1, 1\naddi r1, r1, -128\n\(instruction)\nhalt\n")   // 65408 + 128 = size
        #expect(try #require(runDifferential(inBounds, config: config, context: "bounds")).actual.trap == nil)
        let beyond = try differentialAssemble("lui r1, 1\naddi r1, r1, -126\n\(instruction)\nhalt\n")
        #expect(try #require(runDifferential(beyond, config: config, context: "bounds")).actual.trap?.cause == "outOfBounds")
    }

    // MARK: Cycles (ISA.md 6.10)

    /// A float32 vector instruction holds issue for max(1, ceil(vl / floatLanes)) cycles,
    /// counted as sramPort beyond the first; its result is ready latency cycles after the
    /// last. The table: VLEN, floatLanes, vl, then the expected lane cycles.
    @Test("floatLanes occupancy", arguments: [
        (64, 64, 64, 1), (64, 64, 0, 1), (64, 16, 64, 4), (64, 16, 40, 3), (64, 16, 1, 1), (64, 16, 0, 1),
        (65, 64, 65, 2), (65, 64, 64, 1), (19, 4, 19, 5), (64, 1, 64, 64), (64, 65536, 64, 1),
    ])
    func occupancy(_ vlen: Int, _ floatLanes: Int, _ vl: Int, _ cycles: Int) throws {
        var config = MachineConfig()
        config.vlen = vlen
        config.rows = min(32, vlen)
        config.floatLanes = floatLanes
        for op in ["fcvt a1, a0", "fmuls a1, a0, r2", "fdivs a1, a0, r2", "famax r3, a0", "fq v1, a0, r2",
                   "fvadd a1, a0, a0", "fvmac a1, a0, a0", "fadds a1, a0, r2", "fmacs a1, a0, r2", "fexp a1, a0",
                   "fsum r3, a0", "frmax r3, a0"] {
            // setvl at 0 (vl ready at 1); the float instruction at 1; an independent add
            // after its last lane cycle.
            let run = try Run("addi r1, r0, \(vl)\nsetvl r0, r1\n\(op)\nadd r4, r0, r0\nhalt", config: config)
            #expect(run.issues[3] == 2 + cycles, "\(op) vlen \(vlen) floatLanes \(floatLanes) vl \(vl)")
            #expect(run.stall(.sramPort) == cycles - 1, "\(op)")
        }
        // Scalar float instructions take one cycle whatever floatLanes is.
        for op in ["fadd r3, r2, r2", "fsub r3, r2, r2", "fsqrt r3, r2", "fmul r3, r2, r2"] {
            let run = try Run("addi r1, r0, \(vl)\nsetvl r0, r1\n\(op)\nadd r4, r0, r0\nhalt", config: config)
            #expect(run.issues[3] == 3 && run.stall(.sramPort) == 0, "\(op)")
        }
    }

    /// ISA.md 6.10's example, after a prologue that sets vl = 40 (issues shift by 2).
    @Test func theExampleOfSection610() throws {
        var config = MachineConfig()
        config.floatLanes = 16
        let run = try Run("""
            addi r1, r0, 40
            setvl r0, r1
            fexp a1, a0
            fadd r2, r3, r4
            fsum r5, a1
            halt
            """, config: config)
        #expect(run.issues == [0, 1, 2, 5, 10, 14])
        #expect(run.cycles == 15)
        #expect(run.stalls == ([.sramPort: 4, .data: 4, .drain: 1] as [StallCause: Int]))
    }

    /// The result latency each instruction's cycle rule names, seen by a dependent
    /// instruction: producer at 1, consumer could issue at 2 and waits until 1 + latency.
    @Test(arguments: [
        ("fvadd a2, a1, a1", "aadd a3, a2, a2", 3), ("fvsub a2, a1, a1", "aadd a3, a2, a2", 3),
        ("fvmul a2, a1, a1", "aadd a3, a2, a2", 3), ("fvdiv a2, a1, a1", "aadd a3, a2, a2", 16),
        ("fvmax a2, a1, a1", "aadd a3, a2, a2", 3), ("fvmac a2, a1, a1", "aadd a3, a2, a2", 3),
        ("fadds a2, a1, r1", "aadd a3, a2, a2", 3), ("fsubs a2, a1, r1", "aadd a3, a2, a2", 3),
        ("fmaxs a2, a1, r1", "aadd a3, a2, a2", 3), ("fmacs a2, a1, r1", "aadd a3, a2, a2", 3),
        ("fexp a2, a1", "aadd a3, a2, a2", 6), ("fsum r2, a1", "add r3, r2, r0", 2), ("frmax r2, a1", "add r3, r2, r0", 2),
        ("fadd r2, r1, r1", "add r3, r2, r0", 3), ("fsub r2, r1, r1", "add r3, r2, r0", 3), ("fsqrt r2, r1", "add r3, r2, r0", 16),
        // The accumulating destination is read: fvmac and fmacs wait for its earlier result.
        ("fexp a2, a1", "fvmac a2, a1, a1", 6), ("fsum r2, a1", "fmacs a3, a1, r2", 2),
        ("fvdiv a2, a1, a1", "fmacs a2, a1, r1", 16),
    ])
    func resultLatency(_ producer: String, _ consumer: String, _ latency: Int) throws {
        let run = try Run("addi r1, r0, 1\n\(producer)\n\(consumer)\nhalt")
        #expect(run.issues[2] == 1 + latency, "\(producer) -> \(consumer)")
        #expect(run.stall(.data) == latency - 1)
    }

    /// The half-width loads and stores time like every access of 2*vl bytes (ISA.md 6.2).
    @Test(arguments: [("ldbf", 0, 1, 0), ("ldhf", 4, 2, 1), ("stbf", 0, 1, 0), ("sthf", 4, 2, 1)])
    func halfAccessTiming(_ op: String, _ address: Int, _ banks: Int, _ conflict: Int) throws {
        // 64 lanes = 128 bytes: ideal 1 cycle of the 128-byte-wide activation SRAM (16 banks
        // of 8 bytes); at address 4 they touch words 0 ... 16, two in bank 0. (vl or 4*vl
        // bytes would take 1 and 3 cycles there.)
        let run = try Run("\(op) a0, [r0 + \(address)]\naadd a1, a0, a0\nhalt")
        let load = op.hasPrefix("ld")
        #expect(run.issues[1] == (load ? banks - 1 + 2 : banks), "\(op)")   // loadLatency 2 after the last cycle
        #expect(run.stall(.sramPort) == 0 && run.stall(.bankConflict) == conflict)
    }

    @Test("expLatency and floatLanes are config parameters")
    func configurable() throws {
        var config = MachineConfig()
        config.expLatency = 11
        config.floatLanes = 32
        let run = try Run("fexp a1, a0\naadd a2, a1, a1\nhalt", config: config)
        // 64 lanes: 2 cycles (0, 1); a1 ready at 1 + 11 = 12.
        #expect(run.issues == [0, 12, 13])
        #expect(MachineConfig().expLatency == 6 && MachineConfig().floatLanes == 64)
    }

    /// The vector instructions wait for vl (they read it, ISA.md 2.2); `setvl` writes it.
    @Test func laneInstructionsWaitForVL() throws {
        var config = MachineConfig()
        config.aluLatency = 4
        for op in ["fvadd a1, a2, a3", "fvmac a1, a2, a3", "fadds a1, a2, r1", "fmacs a1, a2, r1", "fexp a1, a2",
                   "fsum r2, a1", "frmax r2, a1", "ldbf a1, [r0]", "sthf a1, [r0]"] {
            let run = try Run("setvl r0, r0\n\(op)\nhalt", config: config)
            #expect(run.issues[1] == 4, "\(op)")
        }
        for op in ["fadd r2, r3, r4", "fsub r2, r3, r4", "fsqrt r2, r3"] {
            let run = try Run("setvl r0, r0\n\(op)\nhalt", config: config)
            #expect(run.issues[1] == 1, "\(op)")
        }
    }

    // MARK: Energy

    /// One of each new instruction at vl = 8, counted by hand from the Energy lines of
    /// ISA.md 7.6 and 7.12.
    @Test func energyCountsMatchAHandCount() throws {
        let run = try Run("""
            addi  r1, r0, 8         ; registerRead 4, registerWrite 4, int32Add 1
            setvl r0, r1            ; registerRead 4, registerWrite 4, int32Add 1
            ldbf  a0, [r0]          ; registerRead 4, registerWrite 32, int32Add 1, activationSRAMRead 16
            stbf  a0, [r0 + 64]     ; registerRead 36, int32Add 1, activationSRAMWrite 16
            ldhf  a1, [r0]          ; registerRead 4, registerWrite 32, int32Add 1, activationSRAMRead 16
            sthf  a1, [r0 + 64]     ; registerRead 36, int32Add 1, activationSRAMWrite 16
            fvadd a2, a0, a1        ; registerRead 64, registerWrite 32, fp32Add 8
            fvsub a2, a0, a1        ; registerRead 64, registerWrite 32, fp32Add 8
            fvmul a2, a0, a1        ; registerRead 64, registerWrite 32, fp32Mul 8
            fvdiv a2, a0, a1        ; registerRead 64, registerWrite 32, fp32Div 8
            fvmax a2, a0, a1        ; registerRead 64, registerWrite 32, fp32Add 8
            fvmac a2, a0, a1        ; registerRead 96, registerWrite 32, fp32Mul 8, fp32Add 8
            fadds a2, a0, r1        ; registerRead 36, registerWrite 32, fp32Add 8
            fsubs a2, a0, r1        ; registerRead 36, registerWrite 32, fp32Add 8
            fmaxs a2, a0, r1        ; registerRead 36, registerWrite 32, fp32Add 8
            fmacs a2, a0, r1        ; registerRead 68, registerWrite 32, fp32Mul 8, fp32Add 8
            fexp  a3, a2            ; registerRead 32, registerWrite 32, fp32Mul 80, fp32Add 88
            fsum  r2, a3            ; registerRead 32, registerWrite 4, fp32Add 8
            frmax r2, a3            ; registerRead 32, registerWrite 4, fp32Add 8
            fadd  r3, r2, r2        ; registerRead 8, registerWrite 4, fp32Add 1
            fsub  r3, r2, r2        ; registerRead 8, registerWrite 4, fp32Add 1
            fsqrt r3, r2            ; registerRead 4, registerWrite 4, fp32Div 1
            halt
            """)
        let expected: [EnergyEvent: Int] = [
            .instruction: 23,
            .registerRead: 4 + 4 + 4 + 36 + 4 + 36 + 64 * 5 + 96 + 36 * 3 + 68 + 32 + 32 + 32 + 8 + 8 + 4,
            .registerWrite: 4 + 4 + 32 + 32 + 32 * 10 + 32 + 4 + 4 + 4 + 4 + 4,
            .int32Add: 6, .activationSRAMRead: 32, .activationSRAMWrite: 32,
            .fp32Add: 8 + 8 + 8 + 8 + 8 * 3 + 8 + 88 + 8 + 8 + 1 + 1,
            .fp32Mul: 8 + 8 + 8 + 80, .fp32Div: 8 + 1,
        ]
        for event in EnergyEvent.allCases {
            #expect(run.result.events[event] == expected[event] ?? 0, "\(event)")
        }
    }

    // MARK: Encoding

    @Test func encodingsOfTheNewInstructions() throws {
        let words: [(String, UInt32)] = [
            ("ldbf a1, [r2 + 6]", 0x0006_214B), ("stbf a7, [r15 - 2]", 0xFFFE_F74C), ("ldhf a0, [r3]", 0x0000_304D),
            ("sthf a2, [r1 + 128]", 0x0080_124E), ("fvadd a1, a2, a3", 0x0003_2188), ("fvsub a1, a2, a3", 0x0003_2189),
            ("fvmul a1, a2, a3", 0x0003_218A), ("fvdiv a1, a2, a3", 0x0003_218B), ("fvmax a1, a2, a3", 0x0003_218C),
            ("fvmac a1, a2, a3", 0x0003_218D), ("fadds a1, a2, r3", 0x0003_218E), ("fsubs a1, a2, r3", 0x0003_218F),
            ("fmaxs a1, a2, r15", 0x000F_2190), ("fmacs a7, a0, r3", 0x0003_0791), ("fexp a1, a2", 0x0000_2192),
            ("fsum r4, a5", 0x0000_5493), ("frmax r4, a5", 0x0000_5494), ("fadd r1, r2, r3", 0x0003_2195),
            ("fsub r1, r2, r3", 0x0003_2196), ("fsqrt r1, r2", 0x0000_2197),
        ]
        for (text, word) in words {
            let result = Assembler.assemble(source: text + "\nhalt\n", fileName: "f.nasm")
            let image = try #require(result.image, "\(text): \(result.renderedDiagnostics)")
            #expect(image.code.first == word, "\(text): 0x\(String(image.code.first ?? 0, radix: 16))")
            // The disassembler pads the mnemonic to a column.
            let disassembled = Disassembler.text(ofWord: word, pc: 0).split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
            #expect(disassembled == text, "\(text)")
        }
        for wrong in ["fvadd a1, a2, r3", "fadds a1, a2, a3", "fexp r1, a2", "fsum a1, a2", "fsqrt r1, r2, r3",
                      "ldbf r1, [r2]", "stbf v1, [r2]", "frmax r1, r2"] {
            #expect(Assembler.assemble(source: wrong + "\nhalt\n", fileName: "f.nasm").image == nil, "\(wrong)")
        }
        // Unused fields must be zero: C of fexp, D of fvadd, C of fsqrt.
        #expect(throws: (any Error).self) { try Instruction(decoding: 0x0001_2192) }
        #expect(throws: (any Error).self) { try Instruction(decoding: 0x0013_2188) }
        #expect(throws: (any Error).self) { try Instruction(decoding: 0x0001_2197) }
    }
}
