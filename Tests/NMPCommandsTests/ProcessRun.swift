import Foundation

/// Runs the built `nmp` executable in a separate process and captures its output bytes.
///
/// Some properties only show across processes: Swift seeds Dictionary and Set hashing per
/// process, so a report that depends on hash order is stable within one process and differs
/// between two. `swift test` builds every product first, so `nmp` sits next to the test
/// executable.
struct ProcessRun {
    var status: Int32
    var out: Data
    var err: Data

    /// The `nmp` executable of this build, or nil when it cannot be found.
    static let executable: URL? = {
        var candidates: [URL] = []
        let me = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = me.deletingLastPathComponent()
        for _ in 0..<4 {  // next to the test binary (Linux) or above the .xctest bundle (macOS)
            candidates.append(directory.appendingPathComponent("nmp"))
            directory = directory.deletingLastPathComponent()
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        candidates.append(root.appendingPathComponent(".build/debug/nmp"))
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }()

    /// - Parameter input: written to the child's stdin through a pipe, closed after it
    ///   (nil: the child inherits this process's stdin).
    init(_ arguments: [String], in directory: URL? = nil, input: String? = nil) throws {
        guard let executable = Self.executable else {
            throw NSError(domain: "nmp-tests", code: 1, userInfo: [NSLocalizedDescriptionKey: "the nmp executable was not built"])
        }
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        // Output goes to files, not pipes: a large report cannot fill a pipe and block the child.
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("nmp-process-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let outURL = scratch.appendingPathComponent("out"), errURL = scratch.appendingPathComponent("err")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let outHandle = try FileHandle(forWritingTo: outURL), errHandle = try FileHandle(forWritingTo: errURL)
        process.standardOutput = outHandle
        process.standardError = errHandle
        let stdin = input.map { _ in Pipe() }
        if let stdin { process.standardInput = stdin }
        try process.run()
        if let stdin, let input {
            // A script is small: the pipe's buffer holds it even if the child reads none of it.
            // A child that already exited (a bad command line) closed its end: the write fails
            // with EPIPE, which is no error here (SIGPIPE ignored so it cannot end the tests).
            signal(SIGPIPE, SIG_IGN)
            try? stdin.fileHandleForWriting.write(contentsOf: Data(input.utf8))
            try? stdin.fileHandleForWriting.close()
        }
        process.waitUntilExit()
        try outHandle.close()
        try errHandle.close()
        out = try Data(contentsOf: outURL)
        err = try Data(contentsOf: errURL)
        status = process.terminationStatus
    }
}
