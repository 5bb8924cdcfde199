import NMPAssembler
import NMPISA
import NMPSimulator
import Testing

/// Records every retired instruction.
struct TraceRecorder: RunObserver {
    static var tracesInstructions: Bool { true }
    var records: [TraceRecord] = []
    mutating func retired(_ record: TraceRecord) { records.append(record) }
    mutating func progress(cycle: Int, retired: Int) {}
}

/// A program assembled, loaded, run, with its trace.
struct Run {
    let simulator: Simulator
    let result: RunResult
    let trace: [TraceRecord]

    init(_ source: String, config: MachineConfig = MachineConfig(), maxCycles: Int = 1_000_000,
         sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
        let assembled = Assembler.assemble(source: source, fileName: "test.nasm")
        let image = try #require(assembled.image, "\(assembled.renderedDiagnostics)", sourceLocation: sourceLocation)
        simulator = try Simulator(image: image, config: config)
        var observer = TraceRecorder()
        result = simulator.run(maxCycles: maxCycles, observer: &observer)
        trace = observer.records
    }

    var cycles: Int { result.counters.cycles }
    func stall(_ cause: StallCause) -> Int { result.counters.stalls[cause] }
    /// Issue cycles of the retired instructions, in order.
    var issues: [Int] { trace.map(\.cycle) }
    /// Stall cycles by cause, only the non-zero ones.
    var stalls: [StallCause: Int] { Dictionary(uniqueKeysWithValues: result.counters.stalls.filter { $0.1 > 0 }) }
}
