import NMPISA
import NMPSimulator
import Testing

/// The timing model of ISA.md chapter 6: its worked examples issue for issue, and every
/// stall cause provoked and counted exactly.
struct TimingTests {
    // MARK: ISA.md 6.9 worked examples

    @Test func example1MultiplyAndDependentAdd() throws {
        let run = try Run("""
            addi r1, r0, 6
            mul  r2, r1, r1
            add  r3, r2, r1
            halt
            """)
        #expect(run.issues == [0, 1, 4, 5])
        #expect(run.cycles == 6)
        #expect(run.stalls == ([.data: 2] as [StallCause: Int]))
        #expect(run.simulator.scalar(3) == 42)
    }

    @Test func example2UnalignedAccumulatorLoadAndTileLoad() throws {
        let run = try Run("""
            lda  a0, [r0 + 4]
            ldm  m0, [r0 + 13]
            mmac a0, m0, v0
            halt
            """)
        #expect(run.issues == [0, 3, 7, 9])
        #expect(run.cycles == 10)
        #expect(run.stalls == ([.bankConflict: 1, .sramPort: 2, .data: 2, .drain: 1] as [StallCause: Int]))
    }

    @Test func example3DMAAndDwait() throws {
        let run = try Run("""
            addi r1, r0, 256
            dmaw r0, r0, r1
            addi r2, r0, 1
            dwait 0
            ldt  t0, [r0]
            halt
            """)
        #expect(run.issues == [0, 1, 2, 106, 107, 110])
        #expect(run.cycles == 111)
        #expect(run.stalls == ([.dmaWait: 103, .drain: 2] as [StallCause: Int]))
    }

    @Test func example4HardwareLoopAndTakenBranch() throws {
        let run = try Run("""
                addi r1, r0, 3
                loop r1, end
                addi r2, r2, 1
            end: beq r0, r0, done
                nop
            done: halt
            """)
        #expect(run.issues == [0, 1, 2, 3, 4, 5, 8])
        #expect(run.trace.map(\.pc) == [0, 1, 2, 2, 2, 3, 5])
        #expect(run.cycles == 9)
        #expect(run.stalls == ([.branch: 2] as [StallCause: Int]))
        #expect(run.simulator.scalar(2) == 3)
    }

    // MARK: Each stall cause, provoked and counted exactly

    /// RAW on every register file, with each latency parameter set to a distinct value so
    /// a wrong latency shows as a wrong count.
    @Test(arguments: [
        ("div r2, r1, r1", "add r3, r2, r0", 16),         // divLatency 16: issue 1, r2 ready 17, add waits 15
        ("mul r2, r1, r1", "add r3, r2, r0", 3),
        ("lw r2, [r0]", "add r3, r2, r0", 2),              // loadLatency 2, one bank cycle
        ("ldt t1, [r0]", "tcvt v1, t1", 3),                // load 2 + unpack 1
        ("amax r2, a1", "add r3, r2, r0", 2),              // reduceLatency
        ("asq a2, a1", "aadd a3, a2, a2", 2),              // vectorMulLatency
        ("vmac a1, t1, v1", "vmac a1, t1, v1", 1),         // macLatency, accumulator RAW/WAW
        ("mmac a1, m1, v1", "asum r2, a1", 2),             // mmacLatency
        ("rq v2, a1, r1, r1", "awiden a3, v2", 2),         // requantLatency
        ("setvl r0, r1", "azero a1", 1),                   // vl is a source of azero
    ])
    func readAfterWriteStallsForTheResultLatency(_ producer: String, _ consumer: String, _ latency: Int) throws {
        let run = try Run("addi r1, r0, 1\n\(producer)\n\(consumer)\nhalt")
        // producer issues at 1 (r1 ready at 1); consumer could issue at 2, waits for 1 + latency.
        #expect(run.issues[2] == 1 + latency)
        #expect(run.stall(.data) == latency - 1)
        #expect(run.cycles == run.result.counters.retired + run.result.counters.stalls.values.reduce(0, +))
    }

    @Test func writeAfterWriteWaitsForTheEarlierResult() throws {
        // div's r2 is ready at 17; the addi writing r2 must not issue before that.
        let run = try Run("addi r1, r0, 7\ndiv r2, r1, r1\naddi r2, r0, 5\nhalt")
        #expect(run.issues == [0, 1, 17, 18])
        #expect(run.stall(.data) == 15)
        #expect(run.simulator.scalar(2) == 5)
    }

    @Test func r0IsNeverAHazard() throws {
        let run = try Run("div r0, r0, r0\nadd r1, r0, r0\nhalt")
        #expect(run.issues == [0, 1, 2])
        #expect(run.stalls.isEmpty)
    }

    /// Bank conflicts: each unaligned access loses exactly the extra bank cycles of 6.2 (the
    /// table's rows on the default machine: 16 banks of 8 bytes in the activation SRAM, 32
    /// in the weight SRAM). `sta` at 12 writes 256 bytes to words 1 ... 33, three in bank 1.
    @Test(arguments: [
        // (address, vl, instruction, occupancy, ideal)
        (0, 64, "ldv v0", 1, 1), (4, 64, "ldv v0", 1, 1), (0, 64, "lda a0", 2, 2), (4, 64, "lda a0", 3, 2),
        (60, 64, "lw r2", 1, 1), (1, 1, "ldv v0", 1, 1), (63, 2, "ldv v0", 1, 1), (0, 0, "ldv v0", 1, 1),
        (120, 64, "ldt t0", 1, 1), (0, 64, "ldm m0", 2, 2), (13, 64, "ldm m0", 2, 2), (8, 64, "stv v0", 1, 1),
        (12, 64, "sta a0", 3, 2),
    ])
    func bankCyclesFollowTheBankRule(_ address: Int, _ vl: Int, _ instruction: String, _ occupancy: Int, _ ideal: Int) throws {
        let run = try Run("""
            addi r1, r0, \(vl)
            addi r2, r0, \(address)
            setvl r0, r1
            \(instruction), [r2]
            halt
            """)
        #expect(run.trace[3].sramPortStall == ideal - 1)
        #expect(run.trace[3].bankConflictStall == occupancy - ideal)
        #expect(run.stall(.bankConflict) == occupancy - ideal)
        #expect(run.issues[4] >= run.issues[3] + occupancy)
    }

    /// An independent count of banks(mem, n): touched words per bank, literally.
    @Test(arguments: [(3, 5), (7, 2), (16, 8), (1, 1)])
    func bankCyclesAgreeWithACountOfTouchedWords(_ banks: Int, _ width: Int) throws {
        var config = MachineConfig()
        config.activationSRAM.banks = banks
        config.activationSRAM.bankWidth = width
        for address in [0, 1, width - 1, width, 3 * width + 1, 100] {
            for vl in [0, 1, 5, 17, 64] {
                var perBank = [Int](repeating: 0, count: banks)
                if vl > 0 { for word in (address / width)...((address + vl - 1) / width) { perBank[word % banks] += 1 } }
                let expected = max(1, perBank.max() ?? 0)
                let ideal = max(1, (vl + banks * width - 1) / (banks * width))
                let run = try Run("addi r1, r0, \(vl)\naddi r2, r0, \(address)\nsetvl r0, r1\nldv v0, [r2]\nhalt", config: config)
                #expect(run.trace[3].sramPortStall + run.trace[3].bankConflictStall == expected - 1, "address \(address), vl \(vl)")
                #expect(run.trace[3].sramPortStall == ideal - 1)
            }
        }
    }

    @Test func takenBranchesJumpsAndSkippedLoopsPayThePenalty() throws {
        let run = try Run("""
                bne r0, r0, never        ; not taken: free
                jal r15, f               ; taken: +2
                loop r0, skip            ; count 0: skipped, taken: +2
                nop
            skip: halt
            f:  jalr r0, r15, 0          ; taken: +2
            never: halt
            """)
        #expect(run.trace.map(\.pc) == [0, 1, 5, 2, 4])
        #expect(run.issues == [0, 1, 4, 7, 10])
        #expect(run.stall(.branch) == 6)
    }

    @Test func aFullDMAQueueStallsTheNextTransfer() throws {
        var config = MachineConfig()
        config.dmaQueueDepth = 2
        // Each 64-byte transfer's data takes 1 cycle, from 100 cycles after the cycle after
        // its enqueue or from the previous transfer's end (ISA.md 6.5, pipelined).
        let run = try Run("""
            addi r1, r0, 64
            dmaa r0, r0, r1      ; issue 1: flow max(102, 0) = 102, end 103
            dmaa r1, r1, r1      ; issue 2: flow max(103, 103) = 103, end 104
            dmaa r0, r0, r1      ; queue full until 103: issue 103, flow max(204, 104), end 205
            halt                 ; drain until 205
            """, config: config)
        #expect(run.issues == [0, 1, 2, 103, 205])
        #expect(run.stalls == ([.dmaQueue: 100, .drain: 101] as [StallCause: Int]))
        #expect(run.cycles == 206)
    }

    @Test func dwaitWaitsForAllButTheNewestTransfers() throws {
        let run = try Run("""
            addi r1, r0, 640
            dmaa r0, r0, r1      ; issue 1: flow 102, 10 cycles of data, end 112
            dmaa r1, r1, r1      ; issue 2: latency overlaps the first: flow max(103, 112), end 122
            dwait 1              ; waits for the first: issue 112
            dwait 0              ; waits for both: issue 122
            halt
            """)
        #expect(run.issues == [0, 1, 2, 112, 122, 123])
        #expect(run.stalls == ([.dmaWait: 109 + 9] as [StallCause: Int]))
    }

    @Test func anEmptyTransferQueuedBehindDataEndsWithIt() throws {
        var config = MachineConfig()
        config.dmaLatency = 0
        let run = try Run("""
            addi r1, r0, 640
            dmaa r0, r0, r1      ; issue 1: flow max(2, 0) = 2, end 12
            dmaa r0, r0, r0      ; issue 2: 0 bytes, flow max(3, 12) = 12, end 12
            dwait 1              ; both outstanding at 3; the first ends at 12, and so does the second
            addi r2, r0, 1       ; issue 13
            halt
            """, config: config)
        #expect(run.issues == [0, 1, 2, 12, 13, 14])
        #expect(run.stalls == ([.dmaWait: 9] as [StallCause: Int]))
    }

    @Test func dmaCopiesAtItsEndCycleAndSeesLaterStoresToItsSource() throws {
        // dmas reads asram at its end cycle (104), so the sw at cycle 3 is included; the lw
        // at cycle 4 still sees DRAM's destination unchanged, the load after dwait sees the copy.
        let run = try Run("""
            addi r1, r0, 4
            addi r2, r0, 77
            dmas r0, r0, r1      ; issue 2: start 3, end 104: dram[0..4) = asram[0..4)
            sw   r2, [r0]        ; issue 3, before the copy
            dwait 0
            dmaa r1, r0, r1      ; asram[4..8) = dram[0..4)
            dwait 0
            lw   r3, [r1]
            halt
            """)
        #expect(run.simulator.scalar(3) == 77)
        #expect(run.simulator.read(MemorySpace.dram, at: 0, count: 4) == [77, 0, 0, 0])
    }

    @Test func haltDrainsPendingResults() throws {
        let run = try Run("addi r1, r0, 9\ndiv r2, r1, r1\nhalt")
        #expect(run.issues == [0, 1, 17])
        #expect(run.stalls == ([.drain: 15] as [StallCause: Int]))
    }

    @Test func nestedLoopsSharingAnEnd() throws {
        let run = try Run("""
                addi r1, r0, 3
                addi r2, r0, 4
                loop r1, end
                loop r2, end
                addi r3, r3, 1
            end: halt
            """)
        #expect(run.simulator.scalar(3) == 12)
        #expect(run.result.counters.retired == 2 + 1 + 3 * (1 + 4) + 1)
        #expect(run.stalls.isEmpty)
    }

    @Test func cycleIdentityHoldsWithLoopsAndTileLoads() throws {
        let run = try Run("addi r1, r0, 5\nloop r1, e\nldm m0, [r0 + 3]\nmmac a0, m0, v0\ne: halt")
        #expect(run.cycles == run.result.counters.retired + run.result.counters.stalls.values.reduce(0, +))
    }
}
