/// How serious a diagnostic is.
public enum Severity: String, Sendable {
    case error, warning, note
}

/// One message about the source, with where it points and notes that help fix it.
public struct Diagnostic: Hashable, Sendable {
    public var severity: Severity
    public var message: String
    /// nil for a message about the file as a whole.
    public var location: SourceLocation?
    /// Follow-up notes, each optionally pointing elsewhere (e.g. a previous definition).
    public var notes: [Note]

    public struct Note: Hashable, Sendable {
        public var message: String
        public var location: SourceLocation?
        public init(_ message: String, at location: SourceLocation? = nil) {
            self.message = message
            self.location = location
        }
    }

    public init(_ severity: Severity, _ message: String, at location: SourceLocation?, notes: [Note] = []) {
        self.severity = severity
        self.message = message
        self.location = location
        self.notes = notes
    }
}

/// Collects diagnostics through every pass and stops accepting errors past a limit, so
/// that garbage input yields a readable report instead of thousands of lines.
public struct DiagnosticLog: Sendable {
    public private(set) var diagnostics: [Diagnostic] = []
    public private(set) var errorCount = 0
    public let errorLimit: Int

    public init(errorLimit: Int = 50) {
        self.errorLimit = errorLimit
    }

    /// True once the error limit is reached; passes stop early then.
    public var isFull: Bool { errorCount >= errorLimit }

    public var hasErrors: Bool { errorCount > 0 }

    /// Records an error. An empty message stands for a failure already reported (a
    /// broken constant used again) and is dropped.
    public mutating func error(_ message: String, at location: SourceLocation?, notes: [Diagnostic.Note] = []) {
        guard !isFull, !message.isEmpty else { return }
        errorCount += 1
        diagnostics.append(Diagnostic(.error, message, at: location, notes: notes))
        if isFull {
            diagnostics.append(Diagnostic(.note, "too many errors (\(errorLimit)); stopping here", at: nil))
        }
    }

    public mutating func warning(_ message: String, at location: SourceLocation?, notes: [Diagnostic.Note] = []) {
        diagnostics.append(Diagnostic(.warning, message, at: location, notes: notes))
    }
}
