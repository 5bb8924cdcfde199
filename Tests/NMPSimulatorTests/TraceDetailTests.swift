import Foundation
import NMPAssembler
import NMPISA
@testable import NMPSimulator
import NMPTestSupport
import Testing

/// What a trace record says beyond its issue cycle: the stretch of cycles it accounts for,
/// what it wrote, the DMA transfer it enqueued, its trit-MACs; and the unit of each class.
struct TraceDetailTests {
    /// Records with what `written(by:)` and `transfer(of:)` said while each retired.
    final class Details {
        var records: [TraceRecord] = []
        var written: [[WrittenLocation]] = []
        var transfers: [DMATransfer?] = []
    }

    static func traced(_ source: String) throws -> (Simulator, RunResult, Details) {
        let assembled = Assembler.assemble(source: source, fileName: "test.nasm")
        let image = try #require(assembled.image, "\(assembled.renderedDiagnostics)")
        let simulator = try Simulator(image: image)
        let details = Details()
        let result = simulator.run(trace: { record in
            details.records.append(record)
            details.written.append(simulator.written(by: record))
            details.transfers.append(simulator.transfer(of: record))
        })
        return (simulator, result, details)
    }

    /// ISA.md 6.6 and 6.11: each record's stretch, from the cycle it could first issue to the
    /// cycle the next could, follows the one before and they end at the run's last cycle, in
    /// every program of programs/.
    @Test(arguments: ProgramTests.programs)
    func recordsTileTheRun(_ name: String) throws {
        let source = try String(contentsOf: repositoryRoot.appendingPathComponent("programs").appendingPathComponent(name), encoding: .utf8)
        let (_, result, details) = try Self.traced(source)
        var cycle = 0
        for record in details.records {
            #expect(record.firstCycle == cycle, "\(name) pc \(record.pc)")
            cycle = record.nextCycle
        }
        #expect(cycle == result.counters.cycles)
        #expect(details.records.last?.tritMACs == result.counters.tritMACs)
        // DMA bytes: the transfers' lengths add up to the DRAM traffic (ISA.md 3.3).
        let bytes = details.records.filter { $0.dmaEnd >= 0 }.reduce(0) { $0 + $1.dmaBytes }
        #expect(bytes == result.events[.dramRead] + result.events[.dramWrite])
    }

    @Test func writtenRegistersAndStores() throws {
        let (_, _, d) = try Self.traced("""
            addi  r1, r0, 8
            setvl r2, r1
            sw    r1, [r1 + 4]
            addi  r0, r0, 1
            sta   a3, [r0 + 64]
            halt
            """)
        #expect(d.written[0] == [.scalar(1)])
        #expect(d.written[1] == [.scalar(2), .vl])
        #expect(d.written[2] == [.memory(.activationSRAM, address: 12, bytes: 4)])
        #expect(d.written[3] == [])                      // r0 is never written
        #expect(d.written[4] == [.memory(.activationSRAM, address: 64, bytes: 32)])   // 4 x vl
        #expect(d.written[5] == [])
    }

    /// `mgemm a4` writes a4 ... a7 and advances both pointers (ISA.md 6.12).
    @Test func gemmWritesItsAccumulatorsAndPointers() throws {
        let (_, _, d) = try Self.traced("addi r1, r0, 0\naddi r2, r0, 64\nmgemm a4, a7, r1, r2\nhalt\n")
        #expect(d.written[2] == [.scalar(1), .scalar(2), .accumulator(4), .accumulator(5), .accumulator(6), .accumulator(7)])
    }

    /// A transfer as ISA.md 6.5 times it: `dmaa` of 100 bytes enqueued at cycle 3 flows from
    /// 3 + 1 + 100 = 104 for ceil(100 / 64) = 2 cycles; the next, enqueued at 4, after it.
    @Test func transfersHaveTheirAddressesAndCycles() throws {
        let (_, _, d) = try Self.traced("""
            addi r1, r0, 100
            addi r2, r0, 16
            addi r3, r0, 200
            dmaa r3, r2, r1
            dmas r2, r3, r1
            dwait 0
            halt
            """)
        #expect(d.transfers[3] == DMATransfer(opcode: .dmaa, source: .dram, sourceAddress: 16, destination: .activationSRAM,
                                              destinationAddress: 200, bytes: 100, enqueued: 3, flowStart: 104, end: 106))
        #expect(d.transfers[4] == DMATransfer(opcode: .dmas, source: .activationSRAM, sourceAddress: 200, destination: .dram,
                                              destinationAddress: 16, bytes: 100, enqueued: 4, flowStart: 106, end: 108))
        #expect(d.transfers.enumerated().allSatisfy { $0.offset == 3 || $0.offset == 4 || $0.element == nil })
    }

    /// Every unit runs some instruction, and the classes map as ISA.md groups them.
    @Test func everyUnitHasInstructions() {
        let units = Set(Opcode.allCases.map { $0.spec.group.unit })
        #expect(units == Set(ExecutionUnit.allCases))
        #expect(Opcode.mmac.spec.group.unit == .ternary && Opcode.mgemm.spec.group.unit == .ternary)
        #expect(Opcode.fvadd.spec.group.unit == .float && Opcode.fdq.spec.group.unit == .float)
        #expect(Opcode.dmaw.spec.group.unit == .dma && Opcode.lw.spec.group.unit == .loadStore)
        #expect(Opcode.beq.spec.group.unit == .scalar && Opcode.rq.spec.group.unit == .accumulator)
    }
}
