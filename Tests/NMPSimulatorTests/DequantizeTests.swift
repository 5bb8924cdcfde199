import NMPISA
import NMPSimulator
import Testing

/// `fdq` (ISA.md 7.11): Float(acc) / s * g with the roundings of `fcvt`, `fdivs` and
/// `fmuls` in that order, and `mgemz` (7.8): `mgemm` that overwrites its accumulators.
/// Values and cycles are derived by hand; every run also runs on the reference machine.
struct DequantizeTests {
    /// Lanes 7, 16,777,217 (2^24 + 1), -3 and 0; s = 3.0, g = 0.5 for the first program:
    /// 7 / 3 rounds to 0x40155555 (2.3333333), times 0.5 exactly 0x3F955555; 2^24 + 1 converts
    /// to 2^24 (ties to even), / 3 rounds to 0x4AAAAAAB, * 0.5 gives 0x4A2AAAAB; -3 / 3 * 0.5 =
    /// -0.5; 0 / 3 * 0.5 = +0.0. With s = +0.0, 0 / 0 is NaN: the canonical 0x7FC00000; 7 / 0
    /// is +inf, * 0.5 still +inf.
    @Test func valuesAndRoundings() throws {
        func run(s: UInt32) throws -> [Int32] {
            var image = try differentialAssemble("""
                addi r1, r0, 4
                setvl r0, r1
                lda a0, [r0]
                lui r2, \(s >> 16)
                lui r3, 0x3F00          ; 0.5
                fdq a1, a0, r2, r3
                halt
                """)
            image.activationData = [7, 16_777_217, -3, 0].flatMap { (v: Int32) in withUnsafeBytes(of: v.littleEndian) { Array($0) } }
            let run = try #require(runDifferential(image, config: MachineConfig(), context: "fdq"))
            #expect(run.actual.trap == nil)
            return Array(run.actual.accumulators[1][0..<4])
        }
        let three = try run(s: 0x4040_0000)
        #expect(three.map { UInt32(bitPattern: $0) } == [0x3F95_5555, 0x4A2A_AAAB, 0xBF00_0000, 0])
        let zero = try run(s: 0)
        #expect(UInt32(bitPattern: zero[0]) == 0x7F80_0000)     // +inf
        #expect(UInt32(bitPattern: zero[3]) == 0x7FC0_0000)     // 0 / 0: the canonical NaN
    }

    /// One issue cycle with the default 64 float lanes; the result after floatLatency 3 +
    /// divLatency 16 + floatLatency 3 = 22: `fdq` at 0, `sta` of its result waits until 22
    /// (data 21) and holds 2 cycles (256 bytes over 16 banks of 8: sramPort 1), halt at 24.
    @Test func resultLatencyIsTheThreeSteps() throws {
        let run = try Run("""
            fdq a1, a0, r0, r0
            sta a1, [r0]
            halt
            """)
        #expect(run.issues == [0, 22, 24])
        #expect(run.stalls == [.data: 21, .sramPort: 1])
    }

    /// mgemz writes what mgemm would add to zeros, in the same cycles: accumulators preset to
    /// 5 in every lane keep their lanes 32 ... 63 and get the sums (+-64 per vector of ones in
    /// lanes 0 ... 31, rows alternating +1 / -1) in lanes 0 ... 31.
    @Test func overwritesInTheSameCycles() throws {
        func run(_ op: String) throws -> DifferentialRun {
            var image = try differentialAssemble("""
                addi r3, r0, 5
                abcast a6, r3
                abcast a7, r3
                addi r2, r0, 64
                \(op) a6, a7, r0, r2
                halt
                """)
            image.weightData = MatrixGEMMTests.tiles(1)
            image.activationData = MatrixGEMMTests.vectors
            return try #require(runDifferential(image, config: MatrixGEMMTests.config, context: op))
        }
        let z = try run("mgemz").actual, m = try run("mgemm").actual
        #expect(z.accumulators[6][0] == 64 && z.accumulators[6][1] == -64 && z.accumulators[7][0] == 128)
        #expect(z.accumulators[6][32] == 5 && z.accumulators[7][63] == 5)
        #expect(m.accumulators[6][0] == 69)
        #expect(z.cycles == m.cycles && z.stalls == m.stalls)
    }
}
