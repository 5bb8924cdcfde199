/// A subcommand of `nmp`.
protocol Command {
    /// The word after `nmp`.
    static var name: String { get }
    /// One line for `nmp help`.
    static var summary: String { get }
    /// The full `--help` text.
    static var help: String { get }
    /// Runs with the arguments after the subcommand name; returns the exit status.
    static func run(_ arguments: [String], console: Console) throws(CommandError) -> Int32
}
