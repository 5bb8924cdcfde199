import NMPSupport

/// The `nmp` command line: dispatches to a subcommand and turns errors into messages and
/// exit statuses. `main` in the executable calls `NMP.run` and nothing else.
public enum NMP {
    static let version = "0.1.0 (ISA v1)"
    static var commands: [any Command.Type] { [AssembleCommand.self, DisassembleCommand.self, RunCommand.self, DebugCommand.self, LayerCommand.self, ModelCommand.self, SweepCommand.self, GenerateCommand.self, BenchCommand.self, ISACommand.self, ConfigCommand.self] }

    static var help: String {
        let width = commands.map { $0.name.count }.max() ?? 0
        let list = commands.map { "  " + $0.name + String(repeating: " ", count: width - $0.name.count + 2) + $0.summary }
        return """
            nmp: a cycle-accurate simulator of a ternary (1.58-bit) neural coprocessor

            usage: nmp <command> [options]

            commands:
            \(list.joined(separator: "\n"))

            'nmp <command> --help' describes a command. 'nmp --version' prints the version.
            """
    }

    /// Runs `nmp` with `arguments` (without the program name); returns the exit status.
    public static func run(_ arguments: [String], console: Console) -> Int32 {
        guard let first = arguments.first else {
            console.err(help + "\n")
            return ExitCode.usage
        }
        switch first {
        case "-h", "--help", "help":
            if arguments.count > 1, let command = commands.first(where: { $0.name == arguments[1] }) {
                console.out(command.help + "\n")
            } else {
                console.out(help + "\n")
            }
            return ExitCode.success
        case "--version":
            console.out("nmp \(version)\n")
            return ExitCode.success
        default:
            break
        }
        guard let command = commands.first(where: { $0.name == first }) else {
            let guess = Suggestion.nearest(to: first, in: commands.map { $0.name })
            console.err("nmp: error: unknown command '\(Suggestion.quoted(first))'" + (guess.map { "; did you mean '\($0)'?" } ?? "") + "\n\n" + help + "\n")
            return ExitCode.usage
        }
        let rest = Array(arguments.dropFirst())
        if rest.contains("-h") || rest.contains("--help") {
            console.out(command.help + "\n")
            return ExitCode.success
        }
        do {
            return try command.run(rest, console: console)
        } catch {
            console.err("nmp \(command.name): error: \(error.message)\n")
            if error.status == ExitCode.usage {
                console.err(command.help.split(separator: "\n", maxSplits: 1).first.map { String($0) + "\n" } ?? "")
                console.err("(see 'nmp \(command.name) --help')\n")
            }
            return error.status
        }
    }
}
