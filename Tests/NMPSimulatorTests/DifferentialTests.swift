// Differential tests: the simulator against the deliberately simple reference machine in
// Reference/ (written from ISA.md alone). Random programs run on both under several machine
// configs, and every observable is compared: trap or halt, cycles, retired counts, every
// stall cause, trit counters, every energy event, all registers, vl and all memories.
// Focused tests pin single-instruction edge cases and the worked examples of ISA.md 6.9.

import Foundation
import NMPAssembler
import NMPISA
import NMPSimulator
import NMPTestSupport
import NMPTrits
import Testing

// MARK: - Configurations

enum DifferentialConfig: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case standard, vlen7rows3, vlen5rows5twoBit, vlen65rows33, oddBanks, dmaLatency0, dmaQueue1,
         loopDepth1, zeroLatency, largeLatency, arrayQueue1

    var testDescription: String { rawValue }

    var config: MachineConfig {
        var c = MachineConfig()
        c.dramSize = 1 << 20                     // keep DRAM small in tests
        switch self {
        case .standard:
            break
        case .vlen7rows3:
            c.vlen = 7; c.rows = 3
        case .vlen5rows5twoBit:
            c.vlen = 5; c.rows = 5; c.packing = .twoBit
        case .vlen65rows33:
            c.vlen = 65; c.rows = 33
        case .oddBanks:
            c.vlen = 19; c.rows = 7
            c.weightSRAM = SRAMConfig(size: 5003, banks: 7, bankWidth: 3)
            c.activationSRAM = SRAMConfig(size: 3001, banks: 3, bankWidth: 5)
            c.dramBytesPerCycle = 3
            c.dmaLatency = 7
            c.floatLanes = 4            // VLEN 19: float instructions take up to 5 issue cycles
        case .dmaLatency0:
            c.dmaLatency = 0
            c.dramBytesPerCycle = 1000
        case .dmaQueue1:
            c.dmaQueueDepth = 1
            c.dmaLatency = 9
        case .loopDepth1:
            c.loopDepth = 1
        case .arrayQueue1:
            c.arrayQueueDepth = 1
            c.dmaLatency = 3
        case .zeroLatency:
            c.aluLatency = 0; c.mulLatency = 0; c.divLatency = 0; c.loadLatency = 0; c.unpackLatency = 0
            c.vectorLatency = 0; c.vectorMulLatency = 0; c.macLatency = 0; c.mmacLatency = 0
            c.reduceLatency = 0; c.requantLatency = 0; c.floatLatency = 0; c.expLatency = 0; c.branchPenalty = 0
            c.dmaLatency = 0; c.dramBytesPerCycle = 1
        case .largeLatency:
            c.aluLatency = 5; c.mulLatency = 9; c.divLatency = 40; c.loadLatency = 7; c.unpackLatency = 4
            c.vectorLatency = 6; c.vectorMulLatency = 11; c.macLatency = 8; c.mmacLatency = 13
            c.reduceLatency = 10; c.requantLatency = 12; c.floatLatency = 14; c.expLatency = 23; c.branchPenalty = 7
            c.floatLanes = 7
            c.dmaLatency = 333; c.dramBytesPerCycle = 5; c.dmaQueueDepth = 2; c.loopDepth = 2; c.arrayQueueDepth = 2
        }
        return c
    }
}

// MARK: - Running both machines

struct DifferentialRun {
    var expected: DifferentialSnapshot
    var actual: DifferentialSnapshot
    var differences: [String]
    var reference: ReferenceMachine
    var simulator: Simulator
}

/// Runs `image` on both machines and compares; on a difference records an issue with the
/// context needed to debug it (seed, config, first trace divergence, program listing).
@discardableResult
func runDifferential(_ image: MicrocodeImage, config: MachineConfig, maxCycles: Int = 2_000_000,
                     context: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) -> DifferentialRun? {
    let reference: ReferenceMachine
    let simulator: Simulator
    do {
        reference = try ReferenceMachine(image: image, config: config)
        simulator = try Simulator(image: image, config: config)
    } catch {
        Issue.record("\(context): load failed: \(error)", sourceLocation: sourceLocation)
        return nil
    }
    let refResult = reference.run(maxCycles: maxCycles)
    let simResult = simulator.run(maxCycles: maxCycles)
    let expected = DifferentialSnapshot(reference: reference, result: refResult)
    let actual = DifferentialSnapshot(simulator: simulator, result: simResult)

    // The reference itself must satisfy the cycle identity of 6.6.
    let stallSum = refResult.stalls.values.reduce(0, +)
    #expect(refResult.cycles == refResult.retired + stallSum, "\(context): reference breaks the cycle identity",
            sourceLocation: sourceLocation)

    let differences = DifferentialSnapshot.differences(expected: expected, actual: actual)
    if !differences.isEmpty {
        Issue.record(Comment(rawValue: differentialMismatchReport(image, config: config, maxCycles: maxCycles, context: context,
                                                      expected: expected, differences: differences)),
                     sourceLocation: sourceLocation)
    }
    return DifferentialRun(expected: expected, actual: actual, differences: differences,
                           reference: reference, simulator: simulator)
}

/// The text printed on a mismatch: context, outcome, differences, the first instruction
/// whose pc or issue cycle differs, and the disassembly.
func differentialMismatchReport(_ image: MicrocodeImage, config: MachineConfig, maxCycles: Int, context: String,
                    expected: DifferentialSnapshot, differences: [String]) -> String {
    var lines = ["DIFFERENTIAL MISMATCH \(context)",
                 "reference outcome: \(expected.outcome), cycles \(expected.cycles), retired \(expected.retired)",
                 "differences (expected = reference, actual = simulator):"]
    lines += differences.map { "  " + $0 }
    // Re-run both with tracing to find the first diverging instruction.
    if let ref = try? ReferenceMachine(image: image, config: config), let sim = try? Simulator(image: image, config: config) {
        ref.tracing = true
        _ = ref.run(maxCycles: maxCycles)
        var observer = ReferenceTraceObserver()
        _ = sim.run(maxCycles: maxCycles, observer: &observer)
        let n = min(ref.trace.count, observer.records.count)
        if let i = (0..<n).first(where: { ref.trace[$0].pc != observer.records[$0].pc || ref.trace[$0].cycle != observer.records[$0].cycle }) {
            let pc = ref.trace[i].pc
            let text = pc < image.code.count ? Disassembler.text(ofWord: image.code[pc], pc: Int64(pc)) : "?"
            lines.append("first divergence at retired instruction #\(i): reference pc \(pc) (\(text)) issued at \(ref.trace[i].cycle); simulator pc \(observer.records[i].pc) issued at \(observer.records[i].cycle)")
            if i > 0 {
                let p = ref.trace[i - 1]
                lines.append("  previous: pc \(p.pc) (\(Disassembler.text(ofWord: image.code[p.pc], pc: Int64(p.pc)))) at \(p.cycle)")
            }
        } else if ref.trace.count != observer.records.count {
            lines.append("traces agree for \(n) instructions; reference retired \(ref.trace.count), simulator \(observer.records.count)")
        } else {
            lines.append("traces (pc, issue cycle) agree for all \(n) retired instructions")
        }
    }
    lines.append("config: vlen \(config.vlen) rows \(config.rows) packing \(config.packing.rawValue) wsram \(config.weightSRAM) asram \(config.activationSRAM) dmaLatency \(config.dmaLatency) dramBytesPerCycle \(config.dramBytesPerCycle) queue \(config.dmaQueueDepth) arrayQueue \(config.arrayQueueDepth) loopDepth \(config.loopDepth) branchPenalty \(config.branchPenalty)")
    lines.append("program (entry \(image.entry)):")
    lines.append(Disassembler.disassemble(MicrocodeImage(entry: image.entry, packing: image.packing, code: image.code), name: context))
    return lines.joined(separator: "\n")
}

/// Assembles `source` (which must assemble without errors).
func differentialAssemble(_ source: String, packing: TritPacking = .base3) throws -> MicrocodeImage {
    let text = packing == .twoBit ? ".packing 2bit\n" + source : source
    let result = Assembler.assemble(source: text, fileName: "test.nasm")
    guard let image = result.image else {
        throw DifferentialAssemblyFailure(message: result.renderedDiagnostics)
    }
    return image
}

struct DifferentialAssemblyFailure: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

// MARK: - Random programs

@Suite("Differential: random programs")
struct DifferentialRandomTests {
    /// 200 seeds per config; set NMP_DIFF_SEEDS to run more (e.g. for a long soak).
    static let seeds: [UInt64] = Array(1...UInt64(ProcessInfo.processInfo.environment["NMP_DIFF_SEEDS"].flatMap(Int.init) ?? 200))

    @Test("simulator == reference", arguments: DifferentialConfig.allCases, seeds)
    func randomProgram(_ configCase: DifferentialConfig, _ seed: UInt64) {
        let config = configCase.config
        var generator = DiffProgramGenerator(seed: seed &* 0x9E37_79B9 &+ UInt64(DifferentialConfig.allCases.firstIndex(of: configCase)!), config: config)
        let image = generator.generate()
        runDifferential(image, config: config, context: "seed \(seed) config \(configCase.rawValue) (risky: \(generator.risky), compact: \(generator.compact))")
    }

    /// The generator must reach every opcode, and both halting and trapping runs.
    @Test("the generator exercises every opcode")
    func coverage() {
        var retired: [Opcode: Int] = [:]
        var outcomes: [String: Int] = [:]
        var safeTraps: [String] = []
        var stalls: [String: Int] = [:]
        var events: [EnergyEvent: Int] = [:]
        var arrayWaits: [RefResult.ArrayWait: Int] = [:], halfArrayWaits: [RefResult.ArrayWait: Int] = [:]
        var totalRetired = 0
        for configCase in DifferentialConfig.allCases {
            let config = configCase.config
            for seed in DifferentialRandomTests.seeds {
                var generator = DiffProgramGenerator(seed: seed &* 0x9E37_79B9 &+ UInt64(DifferentialConfig.allCases.firstIndex(of: configCase)!), config: config)
                let image = generator.generate()
                guard let machine = try? ReferenceMachine(image: image, config: config) else { continue }
                let result = machine.run(maxCycles: 2_000_000)
                for (op, n) in result.retiredByOpcode { retired[op, default: 0] += n }
                for (cause, n) in result.stalls { stalls[cause.rawValue, default: 0] += n }
                for (event, n) in result.events { events[event, default: 0] += n }
                for (wait, n) in result.arrayWaits { arrayWaits[wait, default: 0] += n }
                for (wait, n) in result.halfArrayWaits { halfArrayWaits[wait, default: 0] += n }
                totalRetired += result.retired
                outcomes[result.trap?.cause.rawValue ?? "halt", default: 0] += 1
                if !generator.risky, let trap = result.trap, trap.cause != .loopOverflow {
                    safeTraps.append("seed \(seed) \(configCase.rawValue): \(trap.cause) pc \(trap.pc) \(trap.detail)")
                }
            }
        }
        for op in Opcode.allCases {
            #expect(retired[op, default: 0] > 0, "opcode \(op.mnemonic) never retired")
        }
        #expect(outcomes["halt", default: 0] > DifferentialConfig.allCases.count * DifferentialRandomTests.seeds.count / 2)
        for cause in RefTrapCause.allCases where cause != .cycleLimit {
            #expect(outcomes[cause.rawValue, default: 0] > 0, "no random run ended in \(cause.rawValue)")
        }
        for cause in RefStall.allCases {
            #expect(stalls[cause.rawValue, default: 0] > 0, "no random run stalled for \(cause.rawValue)")
        }
        for event in EnergyEvent.allCases {
            #expect(events[event, default: 0] > 0, "no random run counted \(event.rawValue)")
        }
        // Every rule of ISA.md 6.12, and each also with an FP16 product (hgemm, hgemz) as the
        // one that waits or is waited for: both kinds share the queue and its rules.
        for wait in RefResult.ArrayWait.allCases {
            #expect(arrayWaits[wait, default: 0] > 0, "no random run met the array's rule \(wait)")
            #expect(halfArrayWaits[wait, default: 0] > 0, "no random run met the array's rule \(wait) with an FP16 product")
        }
        #expect(safeTraps.isEmpty, "safe programs trapped: \(safeTraps.prefix(10))")
        print("differential coverage: array waits \(RefResult.ArrayWait.allCases.map { "\($0) \(arrayWaits[$0, default: 0]) (FP16 \(halfArrayWaits[$0, default: 0]))" }); \(totalRetired) instructions retired; outcomes \(outcomes.sorted { $0.key < $1.key }); stalls \(stalls.sorted { $0.key < $1.key })")
    }
}

// MARK: - The sample programs

@Suite("Differential: sample programs")
struct DifferentialProgramTests {
    @Test("programs/*.nasm agree on both machines", arguments: repositoryFiles(in: "programs", suffix: ".nasm"))
    func sampleProgram(_ name: String) throws {
        let url = repositoryRoot.appendingPathComponent("programs").appendingPathComponent(name)
        let source = try String(contentsOf: url, encoding: .utf8)
        let result = Assembler.assemble(source: source, fileName: name)
        var image = try #require(result.image, "\(name): \(result.renderedDiagnostics)")
        // The programs state the vector shape their data is laid out for (`.require`); here
        // the two machines only have to agree on whatever the program does on each config.
        image.requirements = []
        for configCase in [DifferentialConfig.standard, .largeLatency, .zeroLatency, .oddBanks] {
            var config = configCase.config
            config.packing = image.packing
            config.dramSize = max(config.dramSize, image.dramData.count)
            if config.rows > config.vlen || config.weightSRAM.size < image.weightData.count
                || config.activationSRAM.size < image.activationData.count { continue }
            runDifferential(image, config: config, context: "\(name) config \(configCase.rawValue)")
        }
    }
}

// MARK: - Focused edge cases

@Suite("Differential: edge cases")
struct DifferentialEdgeCaseTests {
    var config: MachineConfig {
        var c = MachineConfig()
        c.dramSize = 1 << 20
        return c
    }

    /// Assembles, runs on both machines, checks they agree, and returns the reference
    /// snapshot for explicit expectations.
    func run(_ source: String, config: MachineConfig? = nil, maxCycles: Int = 100_000,
             sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> DifferentialSnapshot {
        let config = config ?? self.config
        let image = try differentialAssemble(source, packing: config.packing)
        let run = try #require(runDifferential(image, config: config, maxCycles: maxCycles,
                                               context: "edge case", sourceLocation: sourceLocation))
        return run.expected
    }

    func i32(_ x: UInt32) -> Int32 { Int32(bitPattern: x) }

    @Test("div and divu: by zero, INT_MIN / -1, rounding toward zero")
    func division() throws {
        let s = try run("""
            addi r1, r0, -17
            addi r2, r0, 5
            div r3, r1, r2          ; -3
            div r4, r1, r0          ; -1
            lui r5, 0x8000          ; INT_MIN
            addi r6, r0, -1
            div r7, r5, r6          ; INT_MIN
            divu r8, r1, r0         ; 0xFFFFFFFF
            divu r9, r1, r2         ; 4294967279 / 5
            div r10, r2, r1         ; 0
            divu r11, r5, r6        ; 0
            halt
            """)
        #expect(s.scalars[3] == UInt32(bitPattern: -3))
        #expect(s.scalars[4] == 0xFFFF_FFFF)
        #expect(s.scalars[7] == 0x8000_0000)
        #expect(s.scalars[8] == 0xFFFF_FFFF)
        #expect(s.scalars[9] == (0xFFFF_FFFF - 16) / 5)
        #expect(s.scalars[10] == 0)
        #expect(s.scalars[11] == 0)
    }

    @Test("shifts: amounts masked to 5 bits, arithmetic shifts of negatives")
    func shifts() throws {
        let s = try run("""
            addi r1, r0, -16
            addi r2, r0, 31
            addi r3, r0, 32
            addi r4, r0, 36
            addi r5, r0, 1
            sll r6, r5, r2          ; 0x80000000
            sll r7, r5, r3          ; shift by 0: 1
            sll r8, r5, r4          ; shift by 4: 16
            sra r9, r1, r4          ; -16 >> 4 = -1
            srl r10, r1, r4         ; 0x0FFFFFFF
            sra r11, r1, r2         ; -1
            srai r12, r1, 2         ; -4
            srli r13, r1, 31        ; 1
            slli r14, r1, 31        ; 0
            sra r15, r6, r2         ; -1
            halt
            """)
        #expect(s.scalars[6] == 0x8000_0000)
        #expect(s.scalars[7] == 1)
        #expect(s.scalars[8] == 16)
        #expect(s.scalars[9] == 0xFFFF_FFFF)
        #expect(s.scalars[10] == 0x0FFF_FFFF)
        #expect(s.scalars[11] == 0xFFFF_FFFF)
        #expect(s.scalars[12] == UInt32(bitPattern: -4))
        #expect(s.scalars[13] == 1)
        #expect(s.scalars[14] == 0)
        #expect(s.scalars[15] == 0xFFFF_FFFF)
    }

    @Test("scalar compare, min/max, lui/ori, r0 writes discarded but counted")
    func scalarMisc() throws {
        let s = try run("""
            lui r1, 0x8000
            ori r1, r1, 1           ; 0x80000001
            addi r2, r0, 1
            slt r3, r1, r2          ; 1
            sltu r4, r1, r2         ; 0
            min r5, r1, r2          ; r1
            max r6, r1, r2          ; 1
            slti r7, r1, -32768     ; 1
            andi r8, r1, 0xFFFF     ; 1
            xori r9, r2, 0xFFFF     ; 0xFFFE
            add r0, r1, r2          ; discarded
            addi r0, r0, 5
            mul r10, r1, r1         ; low word of (0x80000001)^2 = 1
            halt
            """)
        #expect(s.scalars[0] == 0)
        #expect(s.scalars[3] == 1 && s.scalars[4] == 0)
        #expect(s.scalars[5] == 0x8000_0001 && s.scalars[6] == 1)
        #expect(s.scalars[7] == 1 && s.scalars[8] == 1 && s.scalars[9] == 0xFFFE)
        #expect(s.scalars[10] == 1)
        #expect(s.events["registerWrite"] == 4 * 13)
    }

    /// rq with M = 1, sh = 1 and the other examples of ISA.md 7.9.
    @Test("rq: round half to even, saturation, sh = 0, sh = 63, sh masked to 6 bits")
    func requantize() throws {
        let s = try run("""
            addi r1, r0, 10
            setvl r0, r1
            lda a0, [r0]
            addi r2, r0, 1          ; M = 1
            addi r3, r0, 1          ; sh = 1
            rq v0, a0, r2, r3
            addi r4, r0, 65         ; sh = 65 & 63 = 1
            rq v1, a0, r2, r4
            rq v2, a0, r2, r0       ; sh = 0: no rounding, saturate
            addi r5, r0, 63
            rq v3, a0, r2, r5       ; sh = 63
            lda a1, [r0 + 40]
            addi r6, r0, 3276
            addi r7, r0, 16
            rq v4, a1, r6, r7
            lui r8, 0x8000          ; M = INT_MIN
            rq v5, a1, r8, r5       ; p = a * -2^31, sh = 63
            rq v6, a1, r8, r0       ; saturates
            halt
            .adata
            .word 1, 3, 5, -1, -3, 7, 600, -600, 2, -2
            .word 1000, 2540, -2540, 0x7FFFFFFF, 0x80000000, 0x40000000, -0x40000000, 1, -1, 0
            """)
        #expect(s.int8[0].prefix(10) == [0, 2, 2, 0, -2, 4, 127, -128, 1, -1])
        #expect(s.int8[1].prefix(10) == [0, 2, 2, 0, -2, 4, 127, -128, 1, -1])
        #expect(s.int8[2].prefix(10) == [1, 3, 5, -1, -3, 7, 127, -128, 2, -2])
        #expect(s.int8[3].prefix(10).allSatisfy { $0 == 0 })
        #expect(s.int8[4].prefix(3) == [50, 127, -127])
        #expect(s.int8[4][3] == 127 && s.int8[4][4] == -128)
        #expect(s.int8[5].prefix(10).allSatisfy { $0 == 0 })
        #expect(s.int8[6].prefix(10) == [-128, -128, 127, -128, 127, -128, 127, -128, 127, 0])
        #expect(s.int8[0][10] == 0)   // tail undisturbed
    }

    @Test("amax saturates |INT_MIN|; asum wraps; vl = 0 gives 0")
    func reductions() throws {
        let s = try run("""
            addi r1, r0, 3
            setvl r0, r1
            lda a0, [r0]
            amax r2, a0
            asum r3, a0
            setvl r0, r0
            amax r4, a0
            asum r5, a0
            halt
            .adata
            .word 0x80000000, 5, 0x80000000
            """)
        #expect(s.scalars[2] == 0x7FFF_FFFF)
        #expect(s.scalars[3] == 5)
        #expect(s.scalars[4] == 0 && s.scalars[5] == 0)
        #expect(s.vl == 0)
    }

    @Test("aadd, asub, amul, asq, arelu saturate at the int32 limits")
    func saturation() throws {
        let s = try run("""
            addi r1, r0, 4
            setvl r0, r1
            lda a0, [r0]
            lda a1, [r0 + 16]
            aadd a2, a0, a1
            asub a3, a0, a1
            amul a4, a0, a1
            asq a5, a0
            arelu a6, a0
            halt
            .adata
            .word 0x7FFFFFFF, 0x80000000, 65536, -65536
            .word 1, 1, 65536, 65536
            """)
        #expect(s.accumulators[2].prefix(4) == [Int32.max, Int32.min + 1, 131072, 0])
        #expect(s.accumulators[3].prefix(4) == [Int32.max - 1, Int32.min, 0, -131072])
        #expect(s.accumulators[4].prefix(4) == [Int32.max, Int32.min, Int32.max, Int32.min])
        #expect(s.accumulators[5].prefix(4) == [Int32.max, Int32.max, Int32.max, Int32.max])
        #expect(s.accumulators[6].prefix(4) == [Int32.max, 0, 65536, 0])
        #expect(s.accumulators[2][4] == 0)   // tail undisturbed
    }

    @Test("sgn with T < 0 and T = INT_MIN, sgnb, thr with crossed thresholds, tcvt")
    func ternarize() throws {
        let s = try run("""
            addi r1, r0, 5
            setvl r0, r1
            lda a0, [r0]
            addi r2, r0, 2
            sgn t0, a0, r2          ; dead zone -2 ... 2
            addi r3, r0, -1
            sgn t1, a0, r3          ; T = -1: 0 > -1 -> +1
            lui r4, 0x8000
            sgn t2, a0, r4          ; T = INT_MIN: -T = 2^31 exactly
            sgnb t3, a0
            lda a1, [r0 + 20]       ; hi
            lda a2, [r0 + 40]       ; lo
            thr t4, a0, a1, a2
            tcvt v0, t4
            halt
            .adata
            .word 0, 3, -3, 0x80000000, 0x7FFFFFFF
            .word 0, 0, 0, 0, 0
            .word 10, 10, 10, 10, 10
            """)
        #expect(s.trits[0].prefix(5) == [0, 1, -1, -1, 1])
        #expect(s.trits[1].prefix(5) == [1, 1, -1, -1, 1])
        #expect(s.trits[2].prefix(5) == [1, 1, 1, -1, 1])
        #expect(s.trits[3].prefix(5) == [1, 1, -1, -1, 1])
        #expect(s.trits[4].prefix(5) == [-1, 1, -1, -1, 1])
        #expect(s.int8[0].prefix(5) == [-1, 1, -1, -1, 1])
        #expect(s.trits[0][5] == 0)
    }

    @Test("mmac with vl < ROWS and vl = 0 writes lanes 0 ... ROWS-1 only", arguments: [0, 1, 5, 31, 64])
    func mmacLanes(_ vl: Int) throws {
        let s = try run("""
            addi r1, r0, 64
            setvl r0, r1
            lda a0, [r0]            ; a0 = 1, 2, 3, ...
            ldv v0, [r0 + 256]
            ldm m0, [r0]
            addi r2, r0, \(vl)
            setvl r0, r2
            mmac a0, m0, v0
            vmac a1, t0, v0
            halt
            .wdata
            .space 416, 0x79        ; every trit +1
            .adata
            .word \((1...64).map(String.init).joined(separator: ", "))
            .byte \((1...64).map { String($0 % 7 - 3) }.joined(separator: ", "))
            """)
        let v = (1...64).map { $0 % 7 - 3 }
        let sum = v.prefix(vl).reduce(0, +)
        #expect(s.accumulators[0] == (0..<64).map { Int32($0 < 32 ? $0 + 1 + sum : $0 + 1) })
        #expect(s.tritAdd == 32 * vl && s.tritSkip == vl)
    }

    @Test("stt writes padding trits as zero; ldt ignores padding digits", arguments: [TritPacking.base3, .twoBit])
    func padding(_ packing: TritPacking) throws {
        var config = self.config
        config.packing = packing
        config.vlen = 7
        config.rows = 2
        // base3: ROWBYTES 2, second byte 2 trits + 3 padding; 2bit: ROWBYTES 2, 3 + 1 padding.
        let padded: UInt8 = packing == .base3 ? 2 + 2 * 3 + 2 * 9 + 2 * 27 + 2 * 81 : 0b10_10_10_10
        let s = try run("""
            ldt t0, [r0]            ; all -1, padding digits -1 too
            stt t0, [r0 + 4]
            halt
            .wdata
            .byte \(padded), \(padded)
            """, config: config)
        #expect(s.trits[0] == Array(repeating: -1, count: 7))
        let expected: [UInt8] = packing == .base3 ? [242, 2 + 2 * 3] : [0xAA, 0b00_10_10_10]
        #expect(Array(s.wsram[4..<6]) == expected)
    }

    @Test("ldt traps on every invalid base3 code 243 ... 255", arguments: 243...255)
    func invalidBase3(_ byte: Int) throws {
        let s = try run("""
            addi r1, r0, 1
            ldt t0, [r0 + 3]
            halt
            .wdata
            .org 15
            .byte \(byte)
            """)
        #expect(s.trap?.cause == "invalidTritCode" && s.trap?.pc == 1 && s.trap?.cycle == 1)
    }

    @Test("ldm traps on a 0b11 field in every position (2bit)", arguments: 0..<4)
    func invalidTwoBit(_ field: Int) throws {
        var config = self.config
        config.packing = .twoBit
        let s = try run("""
            ldm m1, [r0 + 1]
            halt
            .wdata
            .org 300
            .byte \(0b11 << (2 * field))
            """, config: config)
        #expect(s.trap?.cause == "invalidTritCode" && s.trap?.pc == 0)
        #expect(s.events.values.allSatisfy { $0 == 0 })
    }

    @Test("alignment is checked before bounds; traps at the issue cycle after stalls")
    func accessTraps() throws {
        let s = try run("""
            lui r1, 1               ; 65536 = size
            addi r1, r1, 1
            mul r2, r1, r1
            lw r3, [r1]             ; misaligned and out of bounds: misaligned
            halt
            """)
        #expect(s.trap?.cause == "misaligned" && s.trap?.pc == 3 && s.trap?.cycle == 3)
        let t = try run("""
            lui r1, 1
            addi r1, r1, -4
            mul r2, r1, r1
            lw r3, [r2 + 4]         ; waits for r2 (data stall), then out of bounds
            halt
            """)
        #expect(t.trap?.cause == "outOfBounds" && t.trap?.pc == 3 && t.trap?.cycle == 5)
    }

    @Test("decode traps come at the cycle the word could first issue")
    func decodeTraps() throws {
        let s = try run("""
            mul r1, r0, r0
            beq r0, r0, bad
            nop
            bad: .inst 0x00000862
            """)
        #expect(s.trap?.cause == "illegalInstruction" && s.trap?.pc == 3 && s.trap?.cycle == 4)
        let t = try run("""
            nop
            .inst 0x00010038
            """)
        #expect(t.trap?.cause == "illegalLoop" && t.trap?.pc == 1 && t.trap?.cycle == 1)
        let u = try run("nop\nnop\n")
        #expect(u.trap?.cause == "illegalInstruction" && u.trap?.pc == 2 && u.trap?.cycle == 2)
    }

    @Test("hardware loops: nesting with a shared end, skipped loops, overflow")
    func loops() throws {
        let s = try run("""
            addi r1, r0, 3
            addi r2, r0, 2
            loop r1, end
            addi r3, r3, 1
            loop r2, end
            addi r4, r4, 1
            end: loop r0, after     ; count 0: skipped, taken
            addi r5, r0, 1
            after: halt
            """)
        #expect(s.scalars[3] == 3 && s.scalars[4] == 6 && s.scalars[5] == 0)
        var config = self.config
        config.loopDepth = 1
        let t = try run("""
            addi r1, r0, 2
            loop r1, end
            beq r0, r0, end         ; leaves the entry on the stack
            nop
            end: loop r1, end2
            nop
            end2: halt
            """, config: config)
        #expect(t.trap?.cause == "loopOverflow" && t.trap?.pc == 4)
    }

    @Test("loop counts are unsigned 32-bit; a stale entry is still checked when its end is reached")
    func loopCounts() throws {
        // count 0x80000000 (negative as a signed number): the body runs until the branch leaves.
        let s = try run("""
            lui r1, 0x8000
            addi r3, r0, 5
            loop r1, end
            addi r2, r2, 1
            beq r2, r3, out
            end: nop
            out: halt
            """)
        #expect(s.scalars[2] == 5 && s.trap == nil)
        // Leave the body by a branch, come back into it by another: the entry left on the stack
        // drives the loop check when execution reaches its end again (6.4).
        let t = try run("""
            addi r1, r0, 3
            loop r1, end
            top: addi r2, r2, 1
            beq r5, r0, out
            end: addi r3, r3, 1
            halt
            out: addi r5, r0, 1
            beq r0, r0, top
            """)
        #expect(t.scalars[2] == 4 && t.scalars[3] == 1 && t.trap == nil)
        // A jump to the end is a redirect: no loop check, the body runs once.
        let u = try run("""
            addi r1, r0, 3
            loop r1, end
            addi r2, r2, 1
            jal r0, end
            end: halt
            """)
        #expect(u.scalars[2] == 1 && u.trap == nil)
    }

    @Test("zero-byte accesses: in bounds at EA = size, out of bounds at size + 1")
    func zeroLength() throws {
        let s = try run("""
            setvl r0, r0
            lui r1, 1               ; 65536 = asram size
            ldv v0, [r1]
            lda a0, [r1]
            sta a0, [r1]
            stv v0, [r1]
            addi r2, r0, 0
            lui r3, 0x10            ; 1 MiB = dram size
            dmas r3, r1, r2
            dmaa r1, r3, r2
            ldv v1, [r1 + 1]
            halt
            """)
        #expect(s.trap?.cause == "outOfBounds" && s.trap?.pc == 10)
    }

    @Test("cycle limit stops a runaway loop")
    func cycleLimit() throws {
        let s = try run("""
            addi r1, r0, 1
            spin: beq r0, r0, spin
            """, maxCycles: 100)
        #expect(s.trap?.cause == "cycleLimit")
    }

    @Test("cycle limit reached through a stall, and with a decode trap or DMA pending",
          arguments: [3, 4, 5, 17, 18, 19, 20, 103, 104, 105, 106])
    func cycleLimitEdges(_ limit: Int) throws {
        // div r3 is ready at 2 + 16 = 18, so add r4 would issue at 18 (data stall 14); the
        // dmaa ends at 2 + 1 + 100 + 1 = 104; the illegal word at pc 5 could issue at 19.
        _ = try run("""
            addi r1, r0, 7
            addi r2, r0, 64
            dmaa r2, r0, r1
            div r3, r1, r1
            add r4, r3, r3
            .inst 0xFFFFFFFF
            .ddata
            .byte 5, 5, 5, 5, 5, 5, 5
            """, maxCycles: limit)
        _ = try run("""
            addi r1, r0, 7
            addi r2, r0, 64
            dmaa r2, r0, r1
            div r3, r1, r1
            add r4, r3, r3
            dwait 0
            halt
            .ddata
            .byte 5, 5, 5, 5, 5, 5, 5
            """, maxCycles: limit)
    }

    /// 7.10: "Everything before it has taken effect; DMA transfers whose end cycle has not
    /// been reached are abandoned", and 6.5: a copy takes effect at the start of its end
    /// cycle. So a trap at cycle c leaves every transfer with end <= c done. The dmas below
    /// ends at cycle 7 (issue 2, start 3, 3 + dmaLatency 3 + ceil(8 / 64) = 7); the trap
    /// comes before, at, or after cycle 7, from an illegal word reached in sequence, a jump
    /// out of the code (the branch penalty spans the end cycle), a misaligned load, or a
    /// misaligned load that first waits for a register (the data stall spans the end cycle).
    @Test("a trap keeps the DMA transfers that ended by its cycle and abandons the others",
          arguments: ["seq", "jump", "misaligned", "stalled"], 0...5)
    func trapAbandonsTransfers(_ kind: String, _ nops: Int) throws {
        var config = self.config
        config.dmaLatency = 3
        let tail: String = switch kind {
        case "seq": ".inst 0xFFFFFFFF"                      // decode trap at 3 + nops
        case "jump": "jal r0, 1000"                         // fetch trap at 3 + nops + 3
        case "misaligned": "lw r3, [r0 + 2]"                // trap at 3 + nops
        default: "mul r4, r1, r1\nlw r3, [r4 + 2]"          // r4 ready at 3 + nops + 3
        }
        let s = try run("""
            addi r1, r0, 8
            addi r2, r0, 64
            dmas r2, r0, r1
            \(String(repeating: "nop\n", count: nops))
            \(tail)
            .adata
            .byte 9, 9, 9, 9, 9, 9, 9, 9
            """, config: config)
        let trapCycle: Int = switch kind {
        case "seq", "misaligned": 3 + nops
        default: 6 + nops
        }
        #expect(s.trap?.cycle == trapCycle)
        #expect(s.dram[64] == (trapCycle >= 7 ? 9 : 0), "trap at \(trapCycle), transfer ends at 7")
    }

    @Test("DMA copies at the end cycle: dmas includes later stores to the source")
    func dmaOrdering() throws {
        let s = try run("""
            addi r1, r0, 8          ; len
            addi r2, r0, 512        ; dram dst
            dmas r2, r0, r1         ; dram[512..520) = asram[0..8) at the end cycle
            addi r3, r0, 77
            sb r3, [r0]             ; before the end: included
            dmaa r0, r2, r1         ; asram[0..8) = dram[512..520) after the first
            lb r4, [r0 + 1]         ; still the old byte
            dwait 0
            lb r5, [r0]
            halt
            .adata
            .byte 1, 2, 3, 4, 5, 6, 7, 8
            """)
        #expect(s.dram[512] == 77 && s.dram[513] == 2)
        #expect(s.scalars[4] == 2 && s.scalars[5] == 77)
    }

    // MARK: The worked examples of ISA.md 6.9

    @Test("6.9 example 1: a multiply and a dependent add")
    func example1() throws {
        let s = try run("addi r1, r0, 6\nmul r2, r1, r1\nadd r3, r2, r1\nhalt\n")
        #expect(s.cycles == 6 && s.stalls["data"] == 2 && s.retired == 4)
    }

    @Test("6.9 example 2: an unaligned accumulator load and a tile load")
    func example2() throws {
        let s = try run("lda a0, [r0 + 4]\nldm m0, [r0 + 13]\nmmac a0, m0, v0\nhalt\n")
        #expect(s.cycles == 10)
        #expect(s.stalls["bankConflict"] == 1 && s.stalls["sramPort"] == 2 && s.stalls["data"] == 2 && s.stalls["drain"] == 1)
    }

    @Test("6.9 example 3: DMA and dwait")
    func example3() throws {
        let s = try run("addi r1, r0, 256\ndmaw r0, r0, r1\naddi r2, r0, 1\ndwait 0\nldt t0, [r0]\nhalt\n")
        #expect(s.cycles == 111 && s.stalls["dmaWait"] == 103 && s.stalls["drain"] == 2)
    }

    @Test("6.9 example 4: a hardware loop and a taken branch")
    func example4() throws {
        let s = try run("""
            addi r1, r0, 3
            loop r1, end
            addi r2, r2, 1
            end: beq r0, r0, done
            nop
            done: halt
            """)
        #expect(s.cycles == 9 && s.retired == 7 && s.stalls["branch"] == 2 && s.scalars[2] == 3)
    }
}
