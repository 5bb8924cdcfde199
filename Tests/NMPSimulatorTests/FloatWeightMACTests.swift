import NMPISA
import NMPSimulator
import Testing

/// `fwmacbf` and `fwmachf` (ISA.md 7.12, 6.10): a fused multiply-add of float32 lanes with
/// 16-bit float weights read from the weight SRAM at x[rs] + x[rt]. Every run here also runs
/// on the reference machine, which must agree in every observable.
struct FloatWeightMACTests {
    var config: MachineConfig {
        var c = MachineConfig()
        c.dramSize = 1 << 20
        return c
    }

    /// Little-endian bytes of 32-bit words and of 16-bit halves.
    static func bytes(_ words: [UInt32]) -> [UInt8] { words.flatMap { w in (0..<4).map { UInt8(truncatingIfNeeded: w >> (8 * $0)) } } }
    static func bytes(_ halves: [UInt16]) -> [UInt8] { halves.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] } }

    /// The same bits as `ldbf`/`ldhf` of the weights followed by `fvmac` (ISA.md 7.12), over
    /// special values: zeros, infinities, NaNs, subnormals, the largest finite values, and
    /// products whose fused rounding differs from a rounded product.
    @Test(arguments: [(Opcode.fwmacbf, Opcode.ldbf), (.fwmachf, .ldhf)])
    func equalsTheLoadAndFusedMultiplyAdd(_ op: Opcode, _ load: Opcode) throws {
        let specials = FloatVectorUnitTests.specials
        let n = specials.count
        let multiplicands = specials
        let addends = (0..<n).map { specials[(7 * $0 + 3) % n] }
        // 16-bit weights: the upper halves of the specials for bf16; for binary16 a spread of
        // codes (zeros, subnormals, normals, 65504, infinities, NaNs).
        let weights: [UInt16] = op == .fwmacbf
            ? (0..<n).map { UInt16(specials[(5 * $0 + 1) % n] >> 16) }
            : (0..<n).map { [0x0000, 0x8000, 0x0001, 0x03FF, 0x0400, 0x3C00, 0xBC00, 0x7BFF, 0x7C00, 0xFC00, 0x7E00, 0xFD01,
                             0x3555, 0xC248, 0x1400, 0x3C01][$0 % 16] }
        var image = try differentialAssemble("""
            addi r1, r0, \(n)
            setvl r0, r1
            lda a0, [r0]              ; multiplicands
            lda a1, [r0 + 256]        ; addends
            lda a2, [r0 + 256]
            \(load.mnemonic) a3, [r0 + 512]    ; the weights, from the activation SRAM
            fvmac a2, a3, a0
            addi r2, r0, 96           ; 96 + 32: the weights in the weight SRAM
            addi r3, r0, 32
            \(op.mnemonic) a1, a0, r2, r3
            halt
            """)
        image.activationData = Self.bytes(multiplicands) + Array(repeating: 0, count: 256 - 4 * n)
            + Self.bytes(addends) + Array(repeating: 0, count: 256 - 4 * n) + Self.bytes(weights)
        image.weightData = Array(repeating: 0xEE, count: 128) + Self.bytes(weights)
        let run = try #require(runDifferential(image, config: config, context: op.mnemonic))
        #expect(run.actual.trap == nil, "\(run.actual.outcome)")
        #expect(run.actual.accumulators[1].prefix(n) == run.actual.accumulators[2].prefix(n))
        #expect(run.actual.accumulators[1].prefix(n).contains(Int32(bitPattern: 0x7FC0_0000)), "some lanes are NaN")
    }

    /// Hand-derived from ISA.md 6.2, 6.10 and 7.12 on the default machine (32 banks of 8
    /// bytes in the weight SRAM, loadLatency 2, floatLatency 3).
    @Test func cyclesOnTheDefaultMachine() throws {
        let run = try Run("""
            addi r1, r0, 8          ; 0: r1 ready at 1
            fwmacbf a1, a0, r1, r0  ; 1: 128 bytes at 8, words 1..16, one per bank: 1 cycle;
                                    ;    a1 ready at 1 + 0 + 2 + 3 = 6
            fwmacbf a1, a0, r1, r0  ; could issue at 2; accumulates a1: waits until 6 (data 4);
                                    ;    a1 ready at 11
            addi r2, r0, 4          ; 7
            fwmacbf a2, a0, r2, r0  ; 8: 128 bytes at 4, words 0..16: 17 words, one per bank
                                    ;    of the 32: 1 cycle too; a2 ready at 8 + 5 = 13
            halt                    ; could issue at 9; a2 ready at 13 (drain 4)
            """)
        #expect(run.issues == [0, 1, 6, 7, 8, 13])
        #expect(run.cycles == 14)
        #expect(run.stalls == ([.data: 4, .drain: 4] as [StallCause: Int]))
        #expect(run.result.counters.retired == 6)
    }

    /// With 16 banks of 8 bytes the unaligned access above meets bank 0 twice (words 0 and
    /// 16): 2 cycles where the default's 32 banks take 1, the second `bankConflict`.
    @Test func anUnalignedAccessCanMeetABankTwice() throws {
        var config = MachineConfig()
        config.weightSRAM.banks = 16
        let run = try Run("""
            addi r2, r0, 4          ; 0
            fwmacbf a2, a0, r2, r0  ; 1 ... 2 (bankConflict 1); a2 ready at 2 + 5 = 7
            halt                    ; could issue at 3; a2 ready at 7 (drain 4)
            """, config: config)
        #expect(run.issues == [0, 1, 7])
        #expect(run.stalls == ([.bankConflict: 1, .drain: 4] as [StallCause: Int]))
    }

    /// With fewer float lanes than vl the float unit, not the SRAM, sets the issue cycles:
    /// floatLanes 16, vl 64: 4 cycles (sramPort 3) although the access needs 1.
    @Test func theFloatUnitCanBeTheLongerOfTheTwo() throws {
        var config = MachineConfig()
        config.floatLanes = 16
        let run = try Run("""
            fwmachf a1, a0, r0, r0  ; 0: ceil(64 / 16) = 4 cycles, 0..3 (sramPort 3); a1 ready at 3 + 5 = 8
            add r1, r0, r0          ; 4
            halt                    ; could issue at 5; a1 ready at 8 (drain 3)
            """, config: config)
        #expect(run.issues == [0, 4, 8])
        #expect(run.stalls == ([.sramPort: 3, .drain: 3] as [StallCause: Int]))
    }

    /// Misaligned before out of bounds; the last in-bounds address works (ISA.md 7.12).
    @Test(arguments: [Opcode.fwmacbf, .fwmachf])
    func trapsOnABadAddress(_ op: Opcode) throws {
        let size = MachineConfig().weightSRAM.size   // 262,144 = 4 << 16
        func outcome(_ address: Int) throws -> String? {
            // r1 = 4 << 16 = size, r2 = address - size (negative: the sum wraps to address).
            let image = try differentialAssemble("""
                lui r1, 4
                addi r2, r0, \(address - size)
                \(op.mnemonic) a1, a0, r1, r2
                halt
                """)
            let run = try #require(runDifferential(image, config: config, context: "\(op.mnemonic) at \(address)"))
            if let trap = run.actual.trap {
                #expect(trap.pc == 2)
                return trap.cause
            }
            return nil
        }
        #expect(try outcome(size - 128) == nil)
        #expect(try outcome(size - 127) == "misaligned")
        #expect(try outcome(size - 126) == "outOfBounds")
        #expect(try outcome(size - 1) == "misaligned")
    }

    /// The energy events of ISA.md 7.12 at vl = 10.
    @Test func energyEvents() throws {
        let run = try Run("""
            addi r1, r0, 10
            setvl r0, r1
            fwmacbf a1, a0, r0, r0
            halt
            """)
        let events = run.result.events
        #expect(events[.weightSRAMRead] == 20)
        #expect(events[.fp32Mul] == 10 && events[.fp32Add] == 10)
        // addi and setvl read 4 and write 4 each; fwmacbf reads 8 * 10 + 8 and writes 40.
        #expect(events[.registerRead] == 4 + 4 + 88)
        #expect(events[.registerWrite] == 4 + 4 + 40)
    }
}
