import NMPISA
import NMPSimulator
import Testing

/// Every trap cause of ISA.md 7.10 stops the run with the cause, the pc and the cycle, and
/// the trapping instruction has no effect.
struct TrapTests {
    @Test(arguments: [
        // (program, cause, pc, cycle)
        ("beq r0, r0, 5\nhalt", TrapCause.illegalInstruction, 5, 3),            // jump past the code
        ("addi r1, r0, 1", .illegalInstruction, 1, 1),                          // runs off the end
        ("nop\n.inst 0xFF000000\nhalt", .illegalInstruction, 1, 1),             // unknown opcode
        ("nop\n.inst 0x00000862\nhalt", .illegalInstruction, 1, 1),             // sgn t8: no such register
        ("nop\n.inst 0x00010438\nhalt", .illegalLoop, 1, 1),                    // loop with end offset 1
        ("addi r1, r0, -4\nlw r2, [r1]\nhalt", .outOfBounds, 1, 1),             // EA wraps to 0xFFFFFFFC
        ("ori r1, r0, 65533\nlb r2, [r1 + 3]\nhalt", .outOfBounds, 1, 1),
        ("lw r2, [r0 + 2]\nhalt", .misaligned, 0, 0),
        ("sta a0, [r0 + 6]\nhalt", .misaligned, 0, 0),
        ("lui r1, 4\nldm m0, [r1 - 415]\nhalt", .outOfBounds, 1, 1),            // 262144 - 415 + 416 > size
        ("addi r1, r0, 243\nsb r1, [r0]\naddi r2, r0, 1\ndmas r0, r0, r2\ndmaw r0, r0, r2\ndwait 0\nldt t0, [r0]\nhalt",
         .invalidTritCode, 6, 0),
        ("lui r1, 0x4000\naddi r2, r0, 1\ndmaw r0, r1, r2\nhalt", .dmaFault, 2, 2),   // DRAM ends at 2^30
        ("addi r1, r0, 1\nlui r2, 1\ndmaa r2, r0, r1\nhalt", .dmaFault, 2, 2),       // asram ends at 65536
        ("addi r1, r0, 1\nloop r1, e\nloop r1, e\nloop r1, e\nloop r1, e\nloop r1, e\nnop\ne: halt", .loopOverflow, 5, 5),
        ("x: beq r0, r0, x", .cycleLimit, 0, 1002),
    ])
    func trapStopsTheRun(_ source: String, _ cause: TrapCause, _ pc: Int, _ cycle: Int) throws {
        let run = try Run(source, maxCycles: 1000)
        let trap = try #require(run.result.trap, "expected a \(cause) trap")
        #expect(trap.cause == cause)
        #expect(trap.pc == pc)
        if cause != .invalidTritCode { #expect(trap.cycle == cycle) }
        #expect(!trap.detail.isEmpty)
        #expect(run.result.counters.retired == run.trace.count)
        // The cycle identity holds up to the trap: every cycle before it issued or stalled.
        #expect(run.result.counters.cycles == trap.cycle)
        #expect(trap.cycle == run.result.counters.retired + run.result.counters.stalls.values.reduce(0, +))
    }

    @Test func aTrappingInstructionHasNoEffect() throws {
        let run = try Run("""
            addi r1, r0, 7
            ori  r2, r0, 65532
            sw   r1, [r2]          ; in bounds
            lw   r3, [r2 + 4]      ; out of bounds: r3 keeps 0
            halt
            """)
        #expect(run.result.trap?.cause == .outOfBounds)
        #expect(run.result.trap?.pc == 3)
        #expect(run.simulator.scalar(3) == 0)
        #expect(run.simulator.read(.activationSRAM, at: 65532, count: 4) == [7, 0, 0, 0])
        #expect(run.result.counters.retiredByOpcode[.lw] == 0)
        #expect(run.result.events[.activationSRAMRead] == 0)
    }

    @Test func invalidTritCodeTrapNamesTheByte() throws {
        let run = try Run(".wdata\n.byte 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 250\n.text\nldt t0, [r0]\nhalt")
        let trap = try #require(run.result.trap)
        #expect(trap.cause == .invalidTritCode)
        #expect(trap.detail.contains("0xC"))
        #expect(trap.detail.contains("0xFA"))
        #expect(run.simulator.tritVector(0).allSatisfy { $0 == 0 })
    }

    @Test func loadErrorsStopBeforeTheRun() throws {
        var config = MachineConfig()
        config.packing = .twoBit
        let assembled = NMPAssemblerBridge.image("halt")
        #expect(throws: LoadError.self) { try Simulator(image: assembled, config: config) }
        var small = MachineConfig()
        small.activationSRAM.size = 4096
        #expect(throws: LoadError.self) { try Simulator(image: NMPAssemblerBridge.image(".adata\n.space 5000\n.text\nhalt"), config: small) }
        var invalid = MachineConfig()
        invalid.vlen = 0
        #expect(throws: LoadError.self) { try Simulator(image: NMPAssemblerBridge.image("halt"), config: invalid) }
    }

    @Test func anImageWithoutCodeTrapsAtItsFirstFetch() throws {
        let simulator = try Simulator(image: MicrocodeImage())
        let result = simulator.run()
        #expect(result.trap?.cause == .illegalInstruction)
        #expect(result.trap?.pc == 0)
        #expect(result.trap?.word == nil)
        #expect(result.counters.cycles == 0)
    }

    @Test func aNeverHaltingProgramStopsAtTheDefaultLimit() throws {
        let run = try Run("x: beq r0, r0, x", maxCycles: 30_000)
        #expect(run.result.trap?.cause == .cycleLimit)
        #expect(Simulator.defaultMaxCycles == 1_000_000_000)
    }
}

import NMPAssembler

enum NMPAssemblerBridge {
    static func image(_ source: String) -> MicrocodeImage {
        // Test programs are known to assemble; an empty image makes the test fail visibly.
        Assembler.assemble(source: source, fileName: "test.nasm").image ?? MicrocodeImage()
    }
}
