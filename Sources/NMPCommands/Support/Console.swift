/// Where a command writes (the process's stdout and stderr, or buffers in tests) and where
/// an interactive command (`nmp debug`) reads its lines (stdin, or a script in tests).
public final class Console: @unchecked Sendable {
    private let writeOut: (String) -> Void
    private let writeErr: (String) -> Void
    private let readInput: () -> String?

    public init(out: @escaping (String) -> Void, err: @escaping (String) -> Void,
                input: @escaping () -> String? = { Swift.readLine(strippingNewline: true) }) {
        writeOut = out
        writeErr = err
        readInput = input
    }

    public func out(_ text: String) { writeOut(text) }
    public func err(_ text: String) { writeErr(text) }
    /// The next input line without its newline, or nil at the end of the input.
    public func readLine() -> String? { readInput() }
}

/// Process exit statuses: 0 success, 1 bad input or failed run, 2 usage error.
public enum ExitCode {
    public static let success: Int32 = 0
    public static let failure: Int32 = 1
    public static let usage: Int32 = 2
}

/// An error that ends a command with a message and an exit status.
struct CommandError: Error {
    var message: String
    var status: Int32

    static func usage(_ message: String) -> CommandError { CommandError(message: message, status: ExitCode.usage) }
    static func failure(_ message: String) -> CommandError { CommandError(message: message, status: ExitCode.failure) }
}
