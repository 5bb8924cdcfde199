import Foundation
import NMPAssembler
import NMPISA
import NMPSimulator

/// `nmp debug`: run a program under an interactive debugger.
enum DebugCommand: Command {
    static let name = "debug"
    static let summary = "step through a .nasm program or .nmc image: breakpoints, watchpoints, registers, memory"
    static var help: String {
        let commands = DebuggerCommand.summary.map { "  " + $0.syntax.padding(toLength: 32, withPad: " ", startingAt: 0) + $0.meaning }
        return """
            usage: nmp debug <prog.nasm | prog.nmc> [--config <file.json>] [--max-cycles <N>]
                             [--commands <file>]

            Loads the program onto the simulated machine (as 'nmp run' does) and stops before
            its first instruction. Commands come from the terminal, a pipe or --commands, one
            per line; after every stop the debugger shows why it stopped, the cycle, what the
            last instruction changed (registers, vl, stored bytes, DMA transfers enqueued or
            completed, the loop stack) and the disassembly around the pc. A bad command gets a
            message on stderr and the session goes on; an empty line repeats the last command;
            '#' starts a comment. The end of the input (Ctrl-D) quits. On a terminal the
            prompt is '(nmp) ' with line editing and a history of the session's commands
            (readline's emacs keys: arrows, Home/End, Ctrl-A/E/B/F/P/N, Ctrl-U/K/W, Ctrl-C
            abandons the line); from a pipe or --commands there is no prompt.

            commands:
            \(commands.joined(separator: "\n"))

            MEM is wsram, asram or dram; ADDR a number (decimal or 0x hex) or a data label of
            that memory, optionally +N; PC a number or a code label, optionally +N.

            options:
              --config <file>     machine config JSON overriding any subset of the defaults
              --max-cycles <N>    stop with a cycleLimit trap when an instruction would issue
                                  at or after cycle N (default \(Simulator.defaultMaxCycles))
              --commands <file>   read the commands from a file instead of the standard input
              -h, --help          show this help

            exit status: 0 after quit or the end of the input (whatever the program did),
            1 bad program / bad config / unreadable --commands file, 2 bad command line.
            """
    }

    static func run(_ arguments: [String], console: Console) throws(CommandError) -> Int32 {
        let args = try Arguments(arguments, flags: [], values: [["--config"], ["--max-cycles"], ["--commands"]])
        let input = try args.single("program (.nasm or .nmc)")
        let maxCycles = try args.integer("--max-cycles", minimum: 1) ?? Simulator.defaultMaxCycles
        let config = try MachineChoice.load(args).config
        var script: [String]?
        if let path = args.values["--commands"] {
            let bytes = try Files.read(path)
            guard let text = String(validating: bytes, as: UTF8.self) else {
                throw .failure("'\(path)' is not UTF-8 text")
            }
            script = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            if text.hasSuffix("\n") { script?.removeLast() }
        }
        let image = try RunCommand.loadImage(input, console: console)
        let simulator: Simulator
        do {
            simulator = try Simulator(image: image, config: config)
        } catch {
            throw .failure("cannot load '\(input)': \(error.description)")
        }
        let interactive = script == nil && isatty(STDIN_FILENO) == 1 && isatty(STDOUT_FILENO) == 1
        var lines = script?.makeIterator()
        let terminal = interactive ? TerminalLineReader(write: console.out) : nil
        let read: () -> String? = {
            if lines != nil { return lines!.next() }
            if let terminal { return terminal.readLine(prompt: "(nmp) ") }
            return console.readLine()
        }
        let session = DebugSession(program: input, run: DebugRun(simulator: simulator, maxCycles: maxCycles), console: console)
        session.start()
        while let line = read() {
            guard session.execute(line) else { return ExitCode.success }
        }
        return ExitCode.success
    }
}
