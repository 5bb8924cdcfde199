import Foundation
import NMPISA
import NMPSimulator
import NMPTestSupport
import Testing

/// Event counts of a run against a count made by hand from ISA.md's per-instruction
/// "Energy:" lines, and the energy total recomputed from the counts and the table.
struct EnergyAccountingTests {
    static let program = """
        .wdata
        .byte 0xD0, 0x79         ; trits + 0 - + -  and  + + + + +
        .text
        addi  r1, r0, 8          ; instruction 1, registerRead 4, registerWrite 4, int32Add 1
        setvl r0, r1             ; registerRead 4, registerWrite 4, int32Add 1
        ldt   t0, [r0]           ; registerRead 4, registerWrite ceil(64/4) = 16, int32Add 1,
                                 ; weightSRAMRead 13, tritUnpack 13
        ldv   v0, [r0]           ; registerRead 4, registerWrite vl = 8, int32Add 1, activationSRAMRead 8
        vmac  a0, t0, v0         ; registerRead 4*8 + 2 + 8 = 42, registerWrite 32; lanes 0..7 are
                                 ; + 0 - + - + + +: 5 adds, 2 subtracts, 1 skip
        halt                     ; instruction 1
        """

    @Test func eventCountsMatchAHandCount() throws {
        let run = try Run(Self.program)
        let expected: [EnergyEvent: Int] = [
            .instruction: 6, .registerRead: 58, .registerWrite: 64, .int32Add: 4,
            .weightSRAMRead: 13, .tritUnpack: 13, .activationSRAMRead: 8,
            .tritAdd: 5, .tritSub: 2, .tritSkip: 1,
        ]
        for event in EnergyEvent.allCases {
            #expect(run.result.events[event] == expected[event] ?? 0, "\(event)")
        }
    }

    @Test func energyTotalIsTheCountsTimesTheTablePlusStatic() throws {
        var config = MachineConfig()
        config.energy = TechnologyPreset.named("bitnet-7nm")!.energy
        let run = try Run(Self.program, config: config)
        // Prices written out from ISA.md 3.4's bitnet-7nm preset: SRAM per byte 68/8
        // (256 KiB) and 36/8 (64 KiB).
        let dynamic = 6 * 5.0 + 58 * 0.25 + 64 * 0.25 + 4 * (0.1 * 0.007 / 0.03)
            + 13 * (68.0 / 8) + 13 * 0.035 + 8 * (36.0 / 8) + 7 * 0.007
        let staticEnergy = 20.0 * Double(run.cycles) / 1.0
        let total = run.result.energy.total
        #expect(abs(total - (dynamic + staticEnergy)) < 1e-9 * total)
        #expect(abs(run.result.energy.byCategory[.staticPower] - staticEnergy) < 1e-9)
    }

    /// For every program: the category totals add up to the total, the total is the sum of
    /// count x price, and the trit events add up to the trit-MACs the table says were issued.
    @Test(arguments: repositoryFiles(in: "programs", suffix: ".nasm"))
    func energyAddsUpForEveryProgram(_ name: String) throws {
        let source = try String(contentsOf: repositoryRoot.appendingPathComponent("programs/\(name)"), encoding: .utf8)
        let run = try Run(source)
        let energy = run.result.energy
        let recomputed = EnergyEvent.allCases.reduce(0.0) { $0 + Double(run.result.events[$1]) * run.result.config.picojoules(per: $1) }
            + run.result.config.energy.staticPowerMW * Double(run.cycles) / run.result.config.clockGHz
        #expect(abs(energy.total - recomputed) <= 1e-9 * energy.total)
        #expect(abs(energy.byCategory.sum() - energy.total) <= 1e-9 * energy.total)
        let config = run.result.config
        let issuedMACs = run.trace.reduce(0) { sum, record in
            switch Instruction.opcode(of: record.word) {
            case .vmac: sum + record.vl
            case .mmac: sum + config.rows * record.vl
            // N = E - D + 1 vectors, D in bits 8-11 and E in bits 20-23 of the word (ISA.md 5.1, 7.8).
            case .mgemm, .mgemz: sum + (Int((record.word >> 20) & 0xF) - Int((record.word >> 8) & 0xF) + 1) * config.rows * record.vl
            default: sum
            }
        }
        #expect(run.result.counters.tritMACs == issuedMACs)
    }

    /// `hgemm` and `hgemz` (ISA.md 7.8) with N = 3 (a2 ... a4) and vl = 10 on the default
    /// machine (ROWS 32, VLEN 64), counted by hand from their "Energy:" lines:
    ///
    ///     addi  r3, r0, 10       instruction 1, registerRead 4, registerWrite 4, int32Add 1
    ///     setvl r0, r3           registerRead 4, registerWrite 4, int32Add 1
    ///     hgemm a2, a4, r1, r2   registerRead 8 + 4*3*32 = 392 (hgemz: 8), registerWrite 392,
    ///                            weightSRAMRead 2*32*64 = 4096, activationSRAMRead 2*3*10 = 60,
    ///                            fp16Mul 3*32*10 = 960, fp16Add 960 + 3*32 = 1056 (hgemz: 960),
    ///                            int32Add 2
    ///     halt
    ///
    /// and the "fp16 MACs" category is those counts at ISA.md 3.4's default prices, 0.34 pJ
    /// per fp16Mul and 0.16 per fp16Add.
    @Test(arguments: [(Opcode.hgemm, 400, 1056), (.hgemz, 16, 960)])
    func halfProductCountsMatchAHandCount(_ op: Opcode, _ registerRead: Int, _ fp16Add: Int) throws {
        let run = try Run("""
            addi  r3, r0, 10
            setvl r0, r3
            \(op.mnemonic) a2, a4, r1, r2
            halt
            """)
        #expect(run.result.trap == nil)
        let expected: [EnergyEvent: Int] = [
            .instruction: 4, .registerRead: registerRead, .registerWrite: 400, .int32Add: 4,
            .weightSRAMRead: 4096, .activationSRAMRead: 60, .fp16Mul: 960, .fp16Add: fp16Add,
        ]
        for event in EnergyEvent.allCases {
            #expect(run.result.events[event] == expected[event] ?? 0, "\(op.mnemonic): \(event)")
        }
        let fp16MACs = 960 * 0.34 + Double(fp16Add) * 0.16
        #expect(abs(run.result.energy.byCategory[.fp16MACs] - fp16MACs) < 1e-9 * fp16MACs)
        #expect(run.result.energy.byCategory[.tritMACs] == 0)
    }

    @Test func staticEnergyScalesWithTheClock() throws {
        var config = MachineConfig()
        config.clockGHz = 2
        let fast = try Run("div r1, r0, r0\nhalt", config: config)
        let slow = try Run("div r1, r0, r0\nhalt")
        #expect(fast.cycles == slow.cycles)
        #expect(abs(fast.result.energy.staticPicojoules * 2 - slow.result.energy.staticPicojoules) < 1e-9)
    }
}

extension Instruction {
    /// The opcode of a word, if it has one.
    static func opcode(of word: UInt32) -> Opcode? { Opcode(rawValue: UInt8(word & 0xFF)) }
}
