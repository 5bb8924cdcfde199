import NMPSimulator

/// The `--perfetto FILE` option that `run`, `layer`, `model` and `generate` share.
///
/// The file is written after the report is printed, whole or not at all
/// (`Files.writeAtomically`): when it cannot be written, the report is already out, the
/// error names the file and the reason, nothing is left at the path, and the exit status is
/// 1. A path that names one of the command's inputs is refused before anything runs.
struct PerfettoOption {
    static let name = "--perfetto"
    /// The option's lines for a command's `--help`, its description starting at `column`
    /// (as the command's other options do); `more` lines are appended to the description.
    static func help(column: Int, _ more: [String] = []) -> String {
        let lines = ["also write the run's timeline as Trace Event Format JSON, which",
                     "ui.perfetto.dev and chrome://tracing open: tracks for issue,",
                     "stalls by cause, each unit, the DRAM channel (DMA transfers",
                     "with bytes), operations and layers, MAC utilization and DRAM",
                     "bandwidth (README.md, \"Timelines\"); written after the report,",
                     "exit status 1 if it cannot be written"] + more
        let option = "  \(name) <file>"
        let pad = String(repeating: " ", count: column)
        return option + String(repeating: " ", count: max(1, column - option.count)) + lines[0] + "\n"
            + lines.dropFirst().map { pad + $0 }.joined(separator: "\n")
    }

    let path: String

    /// The option's value in `args`, or nil when it is absent; a path that is one of
    /// `inputs` ((what, path): the command's inputs and other outputs) is an error.
    init?(_ args: Arguments, inputs: [(String, String)]) throws(CommandError) {
        guard let path = args.values[Self.name] else { return nil }
        let id = Files.identity(path)
        if let input = inputs.first(where: { $0.1 == path || (id != nil && Files.identity($0.1) == id) }) {
            throw .failure("\(Self.name) '\(path)' is also the \(input.0) '\(input.1)'; nmp never writes over its inputs or one output over another (give another file name)")
        }
        self.path = path
    }

    /// Writes `timeline` (after the report).
    func write(_ timeline: Timeline) throws(CommandError) {
        try Files.writeAtomically(timeline.rendered(), to: path)
    }
}
