import Foundation
import NMPAssembler
import NMPISA
import NMPSimulator
import NMPSupport
import NMPTestSupport
import Testing

/// Code regions (ISA.md 6.11): a run split by region sums exactly to the run, each region
/// keeps the cycle identity, the split follows the rule of 6.11 on hand-derived examples,
/// and giving regions changes nothing about the run itself.
@Suite("Code regions")
struct CodeRegionTests {
    /// Runs `image` with `regions` and without, and checks the sums and identities.
    @discardableResult
    func checkSums(_ image: MicrocodeImage, _ regions: CodeRegions, config: MachineConfig, maxCycles: Int = 2_000_000,
                   _ context: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> RunResult {
        let plain = try Simulator(image: image, config: config).run(maxCycles: maxCycles)
        let split = try Simulator(image: image, config: config, regions: regions).run(maxCycles: maxCycles)
        #expect(plain.regions.isEmpty, sourceLocation: sourceLocation)
        // Regions change nothing about the run.
        #expect(split.counters == plain.counters, "\(context)", sourceLocation: sourceLocation)
        #expect(split.events == plain.events, "\(context)", sourceLocation: sourceLocation)
        #expect(split.trap == plain.trap, "\(context)", sourceLocation: sourceLocation)
        #expect(split.regions.map(\.name) == regions.names, sourceLocation: sourceLocation)

        #expect(split.regions.reduce(0) { $0 + $1.cycles } == split.counters.cycles, "\(context): cycles",
                sourceLocation: sourceLocation)
        #expect(split.regions.reduce(0) { $0 + $1.retired } == split.counters.retired, "\(context): retired",
                sourceLocation: sourceLocation)
        for cause in StallCause.allCases {
            #expect(split.regions.reduce(0) { $0 + $1.stalls[cause] } == split.counters.stalls[cause],
                    "\(context): stall \(cause)", sourceLocation: sourceLocation)
        }
        for event in EnergyEvent.allCases {
            #expect(split.regions.reduce(0) { $0 + $1.events[event] } == split.events[event],
                    "\(context): event \(event)", sourceLocation: sourceLocation)
        }
        for region in split.regions {
            #expect(region.cycles == region.retired + region.stalls.sum(), "\(context): \(region.name) breaks the cycle identity",
                    sourceLocation: sourceLocation)
            #expect(region.cycles >= 0 && region.retired >= 0 && region.stalls.values.allSatisfy { $0 >= 0 },
                    sourceLocation: sourceLocation)
        }
        // Static energy is per cycle: the regions' energies add up to the run's.
        let total = split.regions.reduce(0.0) { $0 + split.energy(of: $1).total }
        #expect(abs(total - split.energy.total) <= 1e-9 * max(1, split.energy.total), "\(context): energy",
                sourceLocation: sourceLocation)
        return split
    }

    /// Region maps of a code of `count` instructions: all in one, contiguous runs, one per
    /// instruction, and interleaved by pc (a switch at nearly every instruction).
    static func regionMaps(count: Int, seed: UInt64) -> [CodeRegions] {
        var rng = SplitMix64(seed: seed)
        var contiguous: [UInt16] = []
        var current: UInt16 = 0
        for _ in 0..<count {
            if rng.next() % 7 == 0 { current = (current + 1) % 5 }
            contiguous.append(current)
        }
        return [
            CodeRegions(names: ["all"], regionOfPC: Array(repeating: 0, count: count)),
            CodeRegions(names: (0..<5).map { "stretch \($0)" }, regionOfPC: contiguous),
            CodeRegions(names: (0..<max(count, 1)).map { "pc \($0)" }, regionOfPC: (0..<count).map { UInt16($0) }),
            CodeRegions(names: ["even", "odd", "unused"], regionOfPC: (0..<count).map { UInt16($0 % 2) }),
        ]
    }

    @Test("the sample programs' regions sum to the run", arguments: repositoryFiles(in: "programs", suffix: ".nasm"))
    func samplePrograms(_ name: String) throws {
        let url = repositoryRoot.appendingPathComponent("programs").appendingPathComponent(name)
        let result = Assembler.assemble(source: try String(contentsOf: url, encoding: .utf8), fileName: name)
        let image = try #require(result.image, "\(result.renderedDiagnostics)")
        for (i, regions) in Self.regionMaps(count: image.code.count, seed: Self.seed(name)).enumerated() {
            try checkSums(image, regions, config: MachineConfig(), "\(name) map \(i)")
        }
    }

    @Test("random programs' regions sum to the run, trapping runs included", arguments: 1...60)
    func randomPrograms(_ seed: UInt64) throws {
        let configs: [DifferentialConfig] = [.standard, .oddBanks, .largeLatency, .dmaQueue1]
        let configCase = configs[Int(seed) % configs.count]
        var generator = DiffProgramGenerator(seed: seed &* 0x51_7CC1, config: configCase.config)
        let image = generator.generate()
        for (i, regions) in Self.regionMaps(count: image.code.count, seed: seed).enumerated() {
            try checkSums(image, regions, config: configCase.config, "seed \(seed) \(configCase) map \(i)")
        }
    }

    /// ISA.md 6.11's example, counted by hand: A = {addi, mul}, B = {add, halt}.
    @Test func theExampleOfSection611() throws {
        let image = try differentialAssemble("addi r1, r0, 6\nmul r2, r1, r1\nadd r3, r2, r1\nhalt\n")
        let result = try checkSums(image, CodeRegions(names: ["A", "B"], regionOfPC: [0, 0, 1, 1]),
                                   config: MachineConfig(), "6.11 example")
        let (a, b) = (result.regions[0], result.regions[1])
        #expect(a.cycles == 2 && a.retired == 2 && a.stalls.sum() == 0)
        #expect(b.cycles == 4 && b.retired == 2 && b.stalls[.data] == 2 && b.stalls.sum() == 2)
        // Energy lines of 7.3, 7.4: addi reads 4, writes 4, 1 int32Add; mul reads 8, writes 4,
        // 1 int32Mul; add reads 8, writes 4, 1 int32Add; halt only its instruction.
        let expectedA: [EnergyEvent: Int] = [.instruction: 2, .registerRead: 12, .registerWrite: 8, .int32Add: 1, .int32Mul: 1]
        let expectedB: [EnergyEvent: Int] = [.instruction: 2, .registerRead: 8, .registerWrite: 4, .int32Add: 1]
        for event in EnergyEvent.allCases {
            #expect(a.events[event] == expectedA[event] ?? 0, "A \(event)")
            #expect(b.events[event] == expectedB[event] ?? 0, "B \(event)")
        }
        // Static energy: 20 pJ per cycle on the default machine (ISA.md 3.4).
        #expect(abs(result.energy(of: b).staticPicojoules - 4 * 20) < 1e-9)
    }

    /// Stalls after issue (bank and port cycles, branch penalty) and waits before it belong
    /// to the instruction's region; trit-MACs split per region by their trits; DMA bytes go
    /// with the DMA instruction; the drain of `halt` is halt's region's. The activation SRAM
    /// has 8 banks of 8 bytes, so that the 64-byte `ldv` from address 4 (words 0 ... 8) meets
    /// bank 0 twice: the default's 16 banks would take it in one cycle.
    @Test func stallsTritsAndDMABytesGoToTheirInstructionsRegion() throws {
        let image = try differentialAssemble("""
            addi r1, r0, 16         ; 0  A
            dmas r1, r0, r1         ; 1  D: 16 bytes asram -> dram, ends at 2 + 100 + 1 = 103
            ldv  v0, [r0 + 4]       ; 2  A: bank conflict 1 (ISA.md 6.2)
            ldt  t0, [r0]           ; 3  A: t0 ready at 4 + 0 + 2 + 1 = 7
            vmac a0, t0, v0         ; 4  T: waits for t0 (data 2), 64 trit-MACs
            beq  r0, r0, done       ; 5  B: taken, branch 2
            nop                     ; 6  (skipped)
            done: halt              ; 7  H: waits for the DMA (drain)
            .wdata
            .byte 0x79, 0x79, 0xF2, 0xF2, 0x00   ; trits + x 10, - x 10, 0 x 5, then zeros
            """)
        let regions = CodeRegions(names: ["A", "D", "T", "B", "H"], regionOfPC: [0, 1, 0, 0, 2, 3, 3, 4])
        var config = MachineConfig()
        config.activationSRAM.banks = 8
        let result = try checkSums(image, regions, config: config, "mixed")
        let r = Dictionary(uniqueKeysWithValues: result.regions.map { ($0.name, $0) })
        // Issues: addi 0, dmas 1, ldv 2 (2 cycles), ldt 4, vmac 7, beq 8 (+2), halt at 103.
        #expect(r["A"]!.cycles == 1 + 2 + 1 && r["A"]!.stalls[.bankConflict] == 1)
        #expect(r["D"]!.cycles == 1 && r["D"]!.events[.activationSRAMRead] == 16 && r["D"]!.events[.dramWrite] == 16)
        #expect(r["A"]!.events[.activationSRAMRead] == 64)   // the ldv's bytes only
        #expect(r["T"]!.cycles == 3 && r["T"]!.stalls[.data] == 2)
        #expect(r["T"]!.events[.tritAdd] == 10 && r["T"]!.events[.tritSub] == 10 && r["T"]!.events[.tritSkip] == 44)
        #expect(r["A"]!.events[.tritAdd] == 0)
        #expect(r["B"]!.cycles == 3 && r["B"]!.stalls[.branch] == 2 && r["B"]!.retired == 1)
        #expect(r["H"]!.cycles == 103 - 11 + 1 && r["H"]!.stalls[.drain] == 103 - 11)
        #expect(result.counters.cycles == 104)
    }

    /// A trapping instruction's region gets its stalls before the trap, and a fetch trap
    /// adds nothing.
    @Test func trapsAreAttributedToTheTrappingInstruction() throws {
        let image = try differentialAssemble("""
            addi r1, r0, 3          ; A
            div  r2, r1, r1         ; A: r2 ready at 1 + 16 = 17
            lw   r3, [r2 + 1]       ; B: waits until 17 (data 15), then misaligned
            halt
            """)
        let result = try checkSums(image, CodeRegions(names: ["A", "B"], regionOfPC: [0, 0, 1, 1]),
                                   config: MachineConfig(), "trap")
        #expect(result.trap?.cause == .misaligned && result.trap?.cycle == 17)
        #expect(result.regions[0].cycles == 2 && result.regions[1].cycles == 15)
        #expect(result.regions[1].retired == 0 && result.regions[1].stalls[.data] == 15)
        #expect(result.regions[1].events.sum() == 0)
        let fetch = try differentialAssemble("addi r1, r0, 1\njal r0, 100\n")
        let trapped = try checkSums(fetch, CodeRegions(names: ["A", "B"], regionOfPC: [0, 1]), config: MachineConfig(), "fetch")
        #expect(trapped.trap?.cause == .illegalInstruction && trapped.trap?.cycle == 4)
        #expect(trapped.regions[1].cycles == 3 && trapped.regions[1].stalls[.branch] == 2)
    }

    @Test func regionsMustFitTheCode() throws {
        let image = try differentialAssemble("nop\nhalt\n")
        #expect(throws: LoadError.self) { try Simulator(image: image, regions: CodeRegions(names: ["a"], regionOfPC: [0])) }
        #expect(throws: LoadError.self) { try Simulator(image: image, regions: CodeRegions(names: ["a"], regionOfPC: [0, 1])) }
        #expect(throws: LoadError.self) { try Simulator(image: image, regions: CodeRegions(names: [], regionOfPC: [0, 0])) }
        let empty = MicrocodeImage(code: [])
        let result = try Simulator(image: empty, regions: CodeRegions(names: [], regionOfPC: [])).run()
        #expect(result.regions.isEmpty && result.trap?.cause == .illegalInstruction)
    }

    /// A stable number from a file name, to seed its region maps.
    static func seed(_ text: String) -> UInt64 {
        text.utf8.reduce(0) { $0 &* 31 &+ UInt64($1) }
    }
}
