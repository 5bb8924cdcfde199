import Foundation
import NMPAssembler
import NMPISA
import NMPSimulator
import NMPTestSupport
import Testing

/// `DebugRun`: stopping between instructions changes nothing about the run, and every stop
/// is where the programs' hand-derived cycle counts (their comments) put it.
struct DebugRunTests {
    static func image(_ name: String) throws -> MicrocodeImage {
        let url = repositoryRoot.appendingPathComponent("programs").appendingPathComponent(name)
        let assembled = Assembler.assemble(source: try String(contentsOf: url, encoding: .utf8), fileName: name)
        return try #require(assembled.image, "\(assembled.renderedDiagnostics)")
    }

    static func debugRun(_ name: String) throws -> DebugRun {
        DebugRun(simulator: try Simulator(image: try image(name)))
    }

    /// The int32 at `address` of a memory.
    static func word(_ simulator: Simulator, _ space: MemorySpace, _ address: Int) -> Int32 {
        let bytes = simulator.read(space, at: address, count: 4) ?? []
        return Int32(bitPattern: UInt32(bytes[0]) | UInt32(bytes[1]) << 8 | UInt32(bytes[2]) << 16 | UInt32(bytes[3]) << 24)
    }

    /// Stepping one instruction at a time gives the plain run's counters, energy events and
    /// memories, and at every stop the cycle identity (ISA.md 6.6) holds for the cycles so far.
    @Test(arguments: repositoryFiles(in: "programs", suffix: ".nasm"))
    func steppingChangesNothing(_ name: String) throws {
        let plain = try Simulator(image: try Self.image(name))
        let expected = plain.run()
        let run = try Self.debugRun(name)
        var stop = run.resume(.steps(0))
        #expect(stop.reasons == [.start] && stop.machine.cycle == 0 && stop.machine.retired == 0)
        var stops = 0
        while !run.ended {
            stop = run.resume(.steps(1))
            stops += 1
            if stop.result == nil {
                #expect(stop.reasons == [.step])
                #expect(stop.machine.cycle == stop.machine.retired + stop.stalls.sum(), "\(name) at pc \(stop.machine.pc)")
                #expect(stop.machine.retired == stops)
            }
        }
        let result = try #require(stop.result)
        #expect(result.counters == expected.counters)
        #expect(result.events.values == expected.events.values)
        #expect(stop.stalls.values == expected.counters.stalls.values)
        #expect(stop.machine.cycle == expected.counters.cycles)
        #expect(run.simulator.pc == plain.pc)
        for space in [MemorySpace.weightSRAM, .activationSRAM] {
            #expect(run.simulator.read(space, at: 0, count: plain.size(of: space)) == plain.read(space, at: 0, count: plain.size(of: space)))
        }
        #expect(run.simulator.read(.dram, at: 0, count: 1 << 16) == plain.read(.dram, at: 0, count: 1 << 16))
        for i in 0..<16 { #expect(run.simulator.scalar(i) == plain.scalar(i)) }
        for i in 0..<8 { #expect(run.simulator.accumulator(i) == plain.accumulator(i)) }
    }

    /// dot_product.nasm's comment: asum issues at cycle 7 after 7 instructions; sta before it
    /// stored the products 12 0 -5 9 3 0 4 8 at asram 8; sw of the sum 31 issues at 9 after a
    /// data stall of 1, halt at 10: 11 cycles.
    @Test func dotProductBreakpointAndWatchpoint() throws {
        let run = try Self.debugRun("dot_product.nasm")
        run.resume(.steps(0))
        let breakpoint = try #require(run.addBreakpoint(pc: 7))
        var stop = run.resume(.toEnd)
        #expect(stop.reasons == [.breakpoint(number: breakpoint.number, pc: 7)])
        #expect(stop.machine.pc == 7 && stop.machine.cycle == 7 && stop.machine.retired == 7 && stop.machine.vl == 8)
        #expect(stop.last?.pc == 6 && stop.last?.cycle == 6)
        let products: [Int32] = [12, 0, -5, 9, 3, 0, 4, 8]
        let stored = products.flatMap { value in (0..<4).map { UInt8(truncatingIfNeeded: UInt32(bitPattern: value) >> (8 * $0)) } }
        #expect(stop.changes == [.memory(space: .activationSRAM, address: 8, old: [UInt8](repeating: 0, count: 32), new: stored)])
        #expect(Array(run.simulator.accumulator(0).prefix(8)) == products)

        let watchpoint = try #require(run.addWatchpoint(space: .activationSRAM, address: 40, bytes: 4))
        stop = run.resume(.toEnd)
        #expect(stop.reasons == [.watch(number: watchpoint.number, old: [0, 0, 0, 0], new: [31, 0, 0, 0])])
        #expect(stop.machine.pc == 9 && stop.machine.cycle == 10 && stop.last?.pc == 8 && stop.last?.dataStall == 1)
        #expect(stop.stalls[.data] == 1)
        stop = run.resume(.toEnd)
        #expect(stop.reasons == [.halted] && stop.machine.cycle == 11 && stop.machine.retired == 10)
        #expect(run.ended)
        // After the end, resume gives the final stop again.
        #expect(run.resume(.steps(1)).machine.cycle == 11)
    }

    /// scalar_basics.nasm part 1: two setup instructions, then passes of add, addi, bne (5
    /// cycles with the taken branch's 2); part 1 ends at cycle 50 with r2 = 55 stored.
    @Test func scalarBasicsLoopUntilAndWatch() throws {
        let run = try Self.debugRun("scalar_basics.nasm")
        run.resume(.steps(0))
        let sumLoop = 2
        _ = try #require(run.addBreakpoint(pc: sumLoop))
        var stop = run.resume(.toEnd)
        #expect(stop.machine.pc == sumLoop && stop.machine.cycle == 2)
        stop = run.resume(.toEnd)
        #expect(stop.machine.pc == sumLoop && stop.machine.cycle == 7 && stop.machine.retired == 5)
        #expect(run.simulator.scalar(2) == 10 && run.simulator.scalar(1) == 9)
        #expect(stop.stalls[.branch] == 2)
        // The taken bne changed no register.
        #expect(stop.changes.isEmpty)
        #expect(run.delete(nil))
        stop = run.resume(.untilCycle(51))
        #expect(stop.reasons == [.cycle(51)])
        #expect(stop.machine.cycle == 51 && stop.machine.pc == 6 && stop.machine.retired == 33)
        #expect(stop.stalls[.branch] == 18 && stop.stalls.sum() == 18)
        #expect(Self.word(run.simulator, .activationSRAM, 0) == 55)
        // Part 2 stores the first Fibonacci number >= 100 at fib (4): 144.
        let fib = try #require(run.addWatchpoint(space: .activationSRAM, address: 4, bytes: 4))
        stop = run.resume(.toEnd)
        #expect(stop.reasons == [.watch(number: fib.number, old: [0, 0, 0, 0], new: [144, 0, 0, 0])])
        // Part 2 ends at cycle 118 with the sw: the machine is at 119.
        #expect(stop.machine.cycle == 119)
        #expect(stop.changes == [.memory(space: .activationSRAM, address: 4, old: [0, 0, 0, 0], new: [144, 0, 0, 0])])
    }

    /// gemm_prompt.nasm (its derivation): the two products issue at 2 and 3; at pc 4 (cycle 4)
    /// the array works on the first (tile 0 ..< 416, vectors 0 ..< 256, until 6) with the
    /// second queued (tile 416 ..< 832, vectors 256 ..< 512, until 10); by the first sta (pc
    /// 6, cycle 14) both have ended.
    @Test func theArrayQueue() throws {
        let run = try Self.debugRun("gemm_prompt.nasm")
        run.resume(.steps(0))
        _ = try #require(run.addBreakpoint(pc: 4))
        var stop = run.resume(.toEnd)
        #expect(stop.machine.cycle == 4)
        #expect(stop.machine.products == [.init(tile: 0..<416, vectors: 0..<256, end: 6), .init(tile: 416..<832, vectors: 256..<512, end: 10)])
        #expect(stop.machine.arrayQueueDepth == 16)
        stop = run.resume(.steps(2))
        #expect(stop.machine.pc == 6 && stop.machine.cycle == 6)
        #expect(stop.machine.products == [.init(tile: 416..<832, vectors: 256..<512, end: 10)])
        stop = run.resume(.steps(1))
        #expect(stop.machine.cycle == 15 && stop.machine.products.isEmpty)
    }

    /// dma_double_buffer.nasm: setup issues 16 instructions in cycles 0..15, the dmaa of x at
    /// 5 (ends 107) and the dmaw of tile 0 at 10 (ends 118); dwait 1 then waits for x until
    /// 107 (dmaWait 91).
    @Test func dmaQueueAndCompletion() throws {
        let run = try Self.debugRun("dma_double_buffer.nasm")
        run.resume(.steps(0))
        _ = try #require(run.addBreakpoint(pc: 16))
        var stop = run.resume(.toEnd)
        #expect(stop.machine.cycle == 16)
        #expect(stop.machine.transfers == [
            .init(opcode: .dmaa, source: .dram, sourceAddress: 0, destination: .activationSRAM, destinationAddress: 0, bytes: 8, end: 107),
            .init(opcode: .dmaw, source: .dram, sourceAddress: 16, destination: .weightSRAM, destinationAddress: 0, bytes: 416, end: 118),
        ])
        #expect(stop.machine.dmaQueueDepth == 16)
        stop = run.resume(.steps(1))
        #expect(stop.machine.pc == 17 && stop.machine.cycle == 108 && stop.stalls[.dmaWait] == 91)
        #expect(stop.last?.waitStall == 91 && stop.last?.waitCause == .dmaWait)
        #expect(stop.changes == [.dmaCompleted(.init(opcode: .dmaa, source: .dram, sourceAddress: 0, destination: .activationSRAM,
                                                     destinationAddress: 0, bytes: 8, end: 107))])
        #expect(run.simulator.read(.activationSRAM, at: 0, count: 5) == [1, 2, 4, 8, 16])
        #expect(stop.machine.transfers.count == 1)
        // The setup's dmaa (pc 5) enqueues at cycle 5, its request one cycle later.
        let fresh = try Self.debugRun("dma_double_buffer.nasm")
        fresh.resume(.steps(0))
        stop = fresh.resume(.steps(6))
        #expect(stop.last?.pc == 5)
        #expect(stop.changes == [.dmaEnqueued(.init(opcode: .dmaa, source: .dram, sourceAddress: 0, destination: .activationSRAM,
                                                    destinationAddress: 0, bytes: 8, end: 107))])
    }

    /// A trap ends the run with its cause and pc; the machine stays readable.
    @Test func trapEndsTheRun() throws {
        let assembled = Assembler.assemble(source: "addi r2, r0, 2\naddi r3, r0, 7\nlw r4, [r2]\nhalt\n", fileName: "trap.nasm")
        let run = DebugRun(simulator: try Simulator(image: try #require(assembled.image)))
        run.resume(.steps(0))
        let stop = run.resume(.toEnd)
        let trap = try #require(stop.result?.trap)
        #expect(stop.reasons == [.trapped(trap)])
        #expect(trap.cause == .misaligned && trap.pc == 2 && stop.machine.pc == 2)
        #expect(stop.machine.cycle == 2 && stop.machine.retired == 2)
        #expect(run.simulator.scalar(3) == 7)
    }

    @Test func badBreakpointsAndWatchpoints() throws {
        let run = try Self.debugRun("dot_product.nasm")
        run.resume(.steps(0))
        #expect(run.addBreakpoint(pc: 10) == nil)
        #expect(run.addBreakpoint(pc: -1) == nil)
        #expect(run.addWatchpoint(space: .activationSRAM, address: 65_533, bytes: 4) == nil)
        #expect(run.addWatchpoint(space: .activationSRAM, address: 65_532, bytes: 4) != nil)
        #expect(!run.delete(7))
        #expect(run.delete(1))
        #expect(run.watchpoints.isEmpty && !run.delete(nil))
    }
}
