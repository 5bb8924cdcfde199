import Foundation
import NMPAssembler
import NMPISA
import NMPSimulator

/// `nmp run`: assemble (or load) a program, run it on the simulated machine, report.
enum RunCommand: Command {
    static let name = "run"
    static let summary = "run a .nasm program or .nmc image on the cycle-accurate simulator and report"
    static let help = """
        usage: nmp run <prog.nasm | prog.nmc> [--config <file.json>] [--tech NAME] [--max-cycles <N>]
                       [--trace | --trace-file <file>] [--perfetto <file>] [--json] [--dump <what>]...

        Runs the program to halt on the simulated machine (the default machine of ISA.md
        section 3.1, or --config) and reports cycles, stalls by cause, instructions by
        class, trit operations, memory traffic, energy by category and derived figures.
        A .nasm file is assembled first; a file starting with the image magic "NMPC" is
        loaded as an image.

        options:
          --config <file>     machine config JSON overriding any subset of the defaults
          --tech NAME         energy prices of a technology preset (7nm-lpddr by default;
                              'nmp config --tech NAME --sources' lists them); the config
                              file's own energy keys win
                              (see 'nmp config')
          --max-cycles <N>    stop with a cycleLimit trap when an instruction would issue
                              at or after cycle N (default \(Simulator.defaultMaxCycles))
          --trace             print one line per retired instruction to stderr: issue
                              cycle, pc, instruction (code addresses named by code labels),
                              stall cycles and cause; then indented lines with each register
                              or memory range it wrote and the new value, and the DMA
                              transfer it enqueued; a transfer's end has its own line
                              (README.md, "Traces")
          --trace-file <file> the same lines into a file (written whole or not at all)
        \(PerfettoOption.help(column: 22))
          --json              print the report as one JSON object (schema: README.md)
          --dump <what>       after the run, show registers or memory; may repeat:
        \(DumpRequest.syntax.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
          -h, --help          show this help

        exit status: 0 halted, 1 trapped / bad program / bad config / bad dump request /
        --trace-file or --perfetto file not written, 2 bad command line.
        """

    static func run(_ arguments: [String], console: Console) throws(CommandError) -> Int32 {
        let args = try Arguments(arguments, flags: ["--trace", "--json"],
                                 values: [["--config"], ["--tech"], ["--max-cycles"], ["--dump"], ["--trace-file"], [PerfettoOption.name]])
        let input = try args.single("program (.nasm or .nmc)")
        let traceFile = args.values["--trace-file"]
        if traceFile != nil && args.flags.contains("--trace") { throw .usage("give --trace (to stderr) or --trace-file, not both") }
        let inputs = [("program", input)] + (args.values["--config"].map { [("--config file", $0)] } ?? [])
        if let traceFile { try Files.checkOutputs([("--trace-file", traceFile)], inputs: inputs) }
        let perfetto = try PerfettoOption(args, inputs: inputs + (traceFile.map { [("--trace-file", $0)] } ?? []))
        let maxCycles = try args.integer("--max-cycles", minimum: 1) ?? Simulator.defaultMaxCycles
        let choice = try MachineChoice.load(args)
        let config = choice.config
        var dumps: [(String, DumpRequest)] = []
        for text in args.repeated["--dump"] ?? [] {
            for part in text.split(separator: ",").map(String.init) {
                dumps.append((part, try DumpRequest(part, config: config, json: args.flags.contains("--json"))))
            }
        }
        let image = try loadImage(input, console: console)
        let simulator: Simulator
        do {
            simulator = try Simulator(image: image, config: config)
        } catch {
            throw .failure("cannot load '\(input)': \(error.description)")
        }

        let json = args.flags.contains("--json")
        // Code targets are named by code labels only: a constant with the same value (an
        // `.equ ROWBYTES, 13`) is no name for instruction 13.
        let labels = Disassembler.labelMap(image.symbols.filter { $0.space == .code })
        let result: RunResult
        let timeline = perfetto.map { _ in Timeline(config: config) }
        let pass = timeline?.pass(input)
        // The trace never goes to stdout, so it never interleaves with the report.
        let traceSink = try traceFile.map { path throws(CommandError) in try TraceSink(path) }
            ?? (args.flags.contains("--trace") ? TraceSink(console: console) : nil)
        if traceSink != nil || pass != nil {
            let tracer = traceSink.map { sink in TraceWriter(write: sink.write, labels: labels, simulator: simulator) }
            result = simulator.run(maxCycles: maxCycles, trace: { record in
                tracer?.write(record)
                pass?.record(record)
            })
            tracer?.endTransfers(upTo: result.trap?.cycle ?? result.counters.cycles)
            pass?.finish(cycles: result.counters.cycles, trap: result.trap)
        } else {
            let progress = ProgressWriter(console: console, enabled: isatty(STDERR_FILENO) == 1)
            result = simulator.run(maxCycles: maxCycles, progress: { progress.show(cycle: $0, retired: $1) })
            progress.finish()
        }

        let report = RunReport(program: input, configSource: args.values["--config"] ?? "default config", energyOrigin: choice.origin, result: result,
                               finalPC: simulator.pc)
        let trapText = result.trap.flatMap { trap in trap.word.map { Disassembler.text(ofWord: $0, pc: Int64(trap.pc), labels: labels) } }
        if json {
            console.out(report.json(trap: trapText, dumps: dumps.map { $0.1.json(simulator, request: $0.0) }).render() + "\n")
        } else {
            console.out(report.text())
            for (text, dump) in dumps {
                console.out("\ndump \(text)\n")
                dump.render(simulator) { console.out($0) }
            }
        }
        // After the report: a file that cannot be written loses nothing else.
        var outputError: CommandError?
        do { try traceSink?.commit() } catch { outputError = error }
        if let perfetto, let timeline {
            do { try perfetto.write(timeline) } catch { outputError = outputError ?? error }
        }
        if let outputError { console.err("nmp run: error: \(outputError.message)\n") }
        if let trap = result.trap {
            console.err("nmp run: trap: \(trap.cause.rawValue) at pc \(trap.pc), cycle \(trap.cycle): "
                        + (trapText ?? (trap.word.map { "word 0x" + hex($0, digits: 8) } ?? "no instruction")) + "\n"
                        + "  \(trap.detail)\n  note: \(trap.cause.advice)\n")
            return ExitCode.failure
        }
        return outputError == nil ? ExitCode.success : ExitCode.failure
    }

    /// The image in `path`: loaded if it starts with the image magic, else assembled.
    static func loadImage(_ path: String, console: Console) throws(CommandError) -> MicrocodeImage {
        let bytes = try Files.read(path)
        if bytes.starts(with: Array("NMPC".utf8)) {
            do {
                return try MicrocodeImage(decoding: bytes)
            } catch {
                throw .failure("cannot load '\(path)': \(error)")
            }
        }
        let assembled = Assembler.assemble(bytes: bytes, fileName: path)
        if !assembled.diagnostics.isEmpty { console.err(assembled.renderedDiagnostics) }
        guard let image = assembled.image else { throw .failure("'\(path)' has errors; nothing was run") }
        return image
    }
}

/// Progress on stderr every few million instructions, on a terminal only.
final class ProgressWriter {
    let console: Console
    let enabled: Bool
    private var printed = false

    init(console: Console, enabled: Bool) {
        self.console = console
        self.enabled = enabled
    }

    func show(cycle: Int, retired: Int) {
        guard enabled else { return }
        console.err("\rnmp run: \(Format.count(retired)) instructions, cycle \(Format.count(cycle))...")
        printed = true
    }

    func finish() {
        if printed { console.err("\r\u{1B}[K") }
    }
}
