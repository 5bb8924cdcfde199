import Foundation
import NMPAssembler
import NMPISA
import NMPSimulator
import NMPSupport

/// `nmp bench`: simulator speed against a native Swift ternary GEMV of the same shape.
enum BenchCommand: Command {
    static let name = "bench"
    static let summary = "measure simulator speed on a ternary GEMV against a native Swift kernel"
    static let help = """
        usage: nmp bench [--rows <N>] [--columns <N>] [--repeat <N>] [--config <file.json>] [--json]

        Runs a ternary GEMV microprogram (default 2560 x 6912, the BitNet b1.58 2B4T
        down projection; weights streamed from DRAM with double-buffered DMA) on the
        simulator with all cycle and energy accounting on, and the same GEMV as a plain
        native Swift loop in the same process. Checks that both give the same int32
        results, then prints simulated instructions/s, simulated trit-MACs/s, native
        MACs/s and their ratio (best of --repeat runs, default 5). Build with
        'swift run -c release nmp bench': debug builds are many times slower.

        options:
          --rows <N>        output rows (a multiple of the config's rows)
          --columns <N>     input columns (a multiple of the config's vlen)
          --repeat <N>      timed repetitions of each side (best is reported)
          --config <file>   machine config JSON
          --json            print the results as JSON
          -h, --help        show this help
        """

    static func run(_ arguments: [String], console: Console) throws(CommandError) -> Int32 {
        let args = try Arguments(arguments, flags: ["--json"], values: [["--rows"], ["--columns"], ["--repeat"], ["--config"]])
        guard args.positional.isEmpty else { throw .usage("unexpected argument '\(args.positional[0])'") }
        let rows = try args.integer("--rows", minimum: 1, maximum: 1 << 20) ?? 2560
        let columns = try args.integer("--columns", minimum: 1, maximum: 1 << 20) ?? 6912
        let repeats = try args.integer("--repeat", minimum: 1, maximum: 1000) ?? 5
        let config = try ConfigCommand.loadConfig(args.values["--config"])
        let gemv: GEMVProgram
        do {
            gemv = try GEMVProgram(rows: rows, columns: columns, config: config)
        } catch {
            throw .failure(error.description)
        }

        // Seeded inputs: ternary weights (about 1/3 zeros), int8 activations.
        var random = SplitMix64(seed: 0)
        let weights = (0..<rows * columns).map { _ in random.nextTrit() }
        let x = (0..<columns).map { _ in Int8(truncatingIfNeeded: random.next()) }

        let assembled = Assembler.assemble(source: gemv.source(), fileName: "<bench gemv>")
        guard var image = assembled.image else { throw .failure("internal error: the benchmark program does not assemble:\n" + assembled.renderedDiagnostics) }
        image.dramData = gemv.packedWeights(weights)
        image.activationData = x.map { UInt8(bitPattern: $0) }

        // Native kernel.
        var nativeY = [Int32](repeating: 0, count: rows)
        var nativeBest = Double.infinity
        weights.withUnsafeBufferPointer { w in
            x.withUnsafeBufferPointer { xs in
                nativeY.withUnsafeMutableBufferPointer { y in
                    for _ in 0..<repeats {
                        let start = DispatchTime.now().uptimeNanoseconds
                        NativeGEMV.run(weights: w.baseAddress!, x: xs.baseAddress!, y: y.baseAddress!, rows: rows, columns: columns)
                        nativeBest = min(nativeBest, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
                    }
                }
            }
        }

        // Simulator: load outside the timing, run inside.
        var simulatedBest = Double.infinity
        var last: (Simulator, RunResult)?
        for _ in 0..<repeats {
            let simulator: Simulator
            do {
                simulator = try Simulator(image: image, config: config)
            } catch {
                throw .failure("cannot load the benchmark program: \(error.description)")
            }
            let start = DispatchTime.now().uptimeNanoseconds
            let result = simulator.run()
            simulatedBest = min(simulatedBest, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            last = (simulator, result)
        }
        guard let (simulator, result) = last else { throw .failure("no run") }
        if let trap = result.trap { throw .failure("the benchmark program trapped: \(trap.cause.rawValue) at pc \(trap.pc): \(trap.detail)") }
        let yBytes = simulator.read(.activationSRAM, at: gemv.yAddress, count: 4 * rows) ?? []
        let simulatedY = (0..<rows).map { r in
            Int32(bitPattern: (0..<4).reduce(UInt32(0)) { $0 | UInt32(yBytes[4 * r + $1]) << (8 * $1) })
        }
        guard simulatedY == nativeY else {
            let first = zip(simulatedY, nativeY).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? 0
            throw .failure("the simulated GEMV differs from the native one at row \(first): \(simulatedY[first]) vs \(nativeY[first])")
        }

        let macs = Double(rows * columns)
        let instructionsPerSecond = Double(result.counters.retired) / simulatedBest
        let simulatedMACsPerSecond = Double(result.counters.tritMACs) / simulatedBest
        let nativeMACsPerSecond = macs / nativeBest
        let ratio = simulatedMACsPerSecond / nativeMACsPerSecond
        if args.flags.contains("--json") {
            console.out(JSONValue.object([
                ("rows", .int(rows)), ("columns", .int(columns)), ("repeat", .int(repeats)),
                ("simulated_cycles", .int(result.counters.cycles)), ("simulated_instructions", .int(result.counters.retired)),
                ("simulated_trit_macs", .int(result.counters.tritMACs)),
                ("simulator_seconds", .number(simulatedBest)), ("native_seconds", .number(nativeBest)),
                ("simulated_instructions_per_second", .number(instructionsPerSecond)),
                ("simulated_trit_macs_per_second", .number(simulatedMACsPerSecond)),
                ("native_macs_per_second", .number(nativeMACsPerSecond)), ("ratio", .number(ratio)),
                ("results_match", .bool(true)),
            ]).render() + "\n")
            return ExitCode.success
        }
        var out = "ternary GEMV \(rows) x \(columns) (\(Format.count(rows * columns)) MACs), best of \(repeats); results identical\n\n"
        out += Table(header: ["", "value", "unit"], rows: [
            ["simulated cycles", Format.count(result.counters.cycles), "cycles"],
            ["simulated instructions", Format.count(result.counters.retired), "instructions"],
            ["simulated MAC utilization", Format.number(result.macUtilization * 100, decimals: 1), "% of peak"],
            ["simulator wall time", Format.number(simulatedBest * 1e3, decimals: 2), "ms"],
            ["simulated instructions/s", Format.count(instructionsPerSecond), "instructions/s"],
            ["simulated trit-MACs/s", Format.count(simulatedMACsPerSecond), "MACs/s"],
            ["native wall time", Format.number(nativeBest * 1e3, decimals: 2), "ms"],
            ["native MACs/s", Format.count(nativeMACsPerSecond), "MACs/s"],
            ["simulator / native", Format.number(ratio * 100, decimals: 1), "%"],
        ], rightAligned: [1]).render()
        console.out(out)
        return ExitCode.success
    }
}
