import NMPISA
import NMPSimulator
import Testing

/// `fmvbf`, `fmvhf`, `fvmbf`, `fvmhf` (ISA.md 7.12, 6.10): ROWS rows of vl 16-bit weights in
/// the weight SRAM, row r at x[rs] + r * x[rt], times float32 lanes. Values and cycles here
/// are derived by hand; every run also runs on the reference machine.
struct FloatMatrixProductTests {
    var config: MachineConfig {
        var c = MachineConfig()
        c.dramSize = 1 << 20
        return c
    }

    func run(_ source: String, asram: [UInt32], wsram: [UInt16], config: MachineConfig? = nil) throws -> DifferentialRun {
        var image = try differentialAssemble(source)
        image.activationData = FloatWeightMACTests.bytes(asram)
        image.weightData = FloatWeightMACTests.bytes(wsram)
        let run = try #require(runDifferential(image, config: config ?? self.config, context: "float matrix"))
        #expect(run.actual.trap == nil, "\(run.actual.outcome)")
        return run
    }

    static func lane(_ run: DifferentialRun, _ register: Int, _ l: Int) -> UInt32 { UInt32(bitPattern: run.actual.accumulators[register][l]) }

    /// Each row is summed in fsum's pairwise tree: lanes 1e8, 1, -1e8, 1 times weights 1 give
    /// (1e8 + 1) + (-1e8 + 1) = 0, where left to right would give 1. Row 1 keeps lanes 1 and 3
    /// (weights 0, 1, 0, 1): 2. The other rows' weights are 0. The accumulator starts at 0.5
    /// in every lane: rows 0 and 2 ... 31 give 0.5, row 1 gives 2.5, lane 40 keeps 0.5.
    @Test(arguments: [Opcode.fmvbf, .fmvhf])
    func matrixTimesVector(_ op: Opcode) throws {
        let one: UInt16 = op == .fmvbf ? 0x3F80 : 0x3C00
        let run = try run("""
            lui r1, 0x3F00          ; 0.5
            abcast a1, r1
            addi r1, r0, 4
            setvl r0, r1
            lda a0, [r0]
            addi r2, r0, 8          ; rows 8 bytes apart from wsram 0
            \(op.mnemonic) a1, a0, r0, r2
            halt
            """, asram: [0x4CBE_BC20, 0x3F80_0000, 0xCCBE_BC20, 0x3F80_0000],
            wsram: [one, one, one, one, 0, one, 0, one])
        #expect(Self.lane(run, 1, 0) == Float(0.5).bitPattern)
        #expect(Self.lane(run, 1, 1) == Float(2.5).bitPattern)
        #expect((2..<32).allSatisfy { Self.lane(run, 1, $0) == Float(0.5).bitPattern })
        #expect(Self.lane(run, 1, 40) == Float(0.5).bitPattern)
    }

    /// vl = 2 lanes, weights 1 and 2 for rows 0 and 1: lane 0 sums 1 * 3 + 2 * 7 = 17, lane 1
    /// 1 * 5 + 2 * 11 = 27 (the other rows are 0). The destination is the vector itself (it
    /// is read first), so the sums add to its lanes 1 and 2: 18 and 29; lanes 2 ... 31 keep
    /// their loaded 0 and lanes 32 ... their 4.0.
    @Test(arguments: [(Opcode.fvmbf, [UInt16(0x4040), 0x40A0, 0x40E0, 0x4130]), (.fvmhf, [0x4200, 0x4500, 0x4700, 0x4980])])
    func vectorTimesMatrix(_ op: Opcode, _ weights: [UInt16]) throws {
        let run = try run("""
            lui r1, 0x4080          ; 4.0
            abcast a0, r1
            addi r1, r0, 32
            setvl r0, r1
            lda a0, [r0]            ; lanes 0 ... 31: 1, 2, 0, ...
            addi r1, r0, 2
            setvl r0, r1
            addi r2, r0, 4          ; rows 4 bytes apart
            \(op.mnemonic) a0, a0, r0, r2
            halt
            """, asram: [0x3F80_0000, 0x4000_0000] + Array(repeating: 0, count: 30), wsram: weights)
        #expect(Self.lane(run, 0, 0) == Float(18).bitPattern)
        #expect(Self.lane(run, 0, 1) == Float(29).bitPattern)
        #expect(Self.lane(run, 0, 2) == 0)           // lane 2 of the vector, loaded as 0
        #expect(Self.lane(run, 0, 40) == Float(4).bitPattern)
    }

    /// Hand-derived cycles (ISA.md 6.10) on the default machine's 32 banks of 8 bytes: 32 rows
    /// of vl = 4 lanes, 8 bytes each, 256 bytes apart from address 0: row r is word 32r, and
    /// all 32 of them lie in bank 0, so rowbanks = 32 while ideal(wsram, 32 * 8) = 1 and
    /// ceil(32 * 4 / 64) = 2: 32 cycles, sramPort 1, bankConflict 30; the result is ready at
    /// 3 + 31 + 2 + 2 = 38.
    @Test func cyclesWithARowBankConflict() throws {
        let run = try Run("""
            addi r1, r0, 4
            setvl r0, r1            ; 1: vl ready at 2
            addi r2, r0, 256
            fmvbf a1, a0, r0, r2    ; 3 ... 34
            halt                    ; could issue at 35; a1 ready at 38 (drain 3)
            """)
        #expect(run.issues == [0, 1, 2, 3, 38])
        #expect(run.stalls == ([.sramPort: 1, .bankConflict: 30, .drain: 3] as [StallCause: Int]))
        #expect(run.cycles == 39)
    }

    /// Rows 256 bytes apart (a key block with head_dim 128) from address 0: 16 words each, in
    /// banks 0 ... 15 of the 32: rowbanks 32, twice ideal(wsram, 4096) = 16, but no more than
    /// the float unit's 32 * 64 / 64 = 32, so the product takes 32 cycles without a
    /// bankConflict. With floatLanes 16 the float unit takes 128 cycles instead.
    @Test(arguments: [(64, 32), (16, 128)])
    func cyclesOfAStridedBlock(_ floatLanes: Int, _ cycles: Int) throws {
        var config = MachineConfig()
        config.floatLanes = floatLanes
        let run = try Run("""
            addi r2, r0, 256
            fvmbf a1, a0, r0, r2
            add r3, r0, r0
            halt
            """, config: config)
        #expect(run.issues[2] == 1 + cycles)
        #expect(run.stalls[.sramPort] == cycles - 1)
        #expect(run.stalls[.bankConflict] == nil)
    }

    /// Every row is checked before anything changes: the last row past the end traps, and
    /// an odd stride misaligns row 1.
    @Test(arguments: [Opcode.fmvbf, .fvmhf])
    func trapsOnABadRow(_ op: Opcode) throws {
        let size = MachineConfig().weightSRAM.size
        func outcome(base: Int, stride: Int) throws -> String? {
            let image = try differentialAssemble("""
                lui r1, \(base >> 16)
                ori r1, r1, \(base & 0xFFFF)
                addi r2, r0, \(stride)
                \(op.mnemonic) a1, a0, r1, r2
                halt
                """)
            let run = try #require(runDifferential(image, config: config, context: "\(op.mnemonic) base \(base) stride \(stride)"))
            if let trap = run.actual.trap {
                #expect(trap.pc == 3)
                return trap.cause
            }
            return nil
        }
        #expect(try outcome(base: size - 32 * 128, stride: 128) == nil)
        #expect(try outcome(base: size - 32 * 128 + 2, stride: 128) == "outOfBounds")
        #expect(try outcome(base: 0, stride: 129) == "misaligned")
        #expect(try outcome(base: 1, stride: 0) == "misaligned")
    }
}
