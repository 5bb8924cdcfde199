import Foundation
import Testing

/// The README's commands run as written in a fresh clone, and its sample output is what
/// nmp prints: a new user's first minutes must not end in "no such file".
struct ReadmeTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func readme() throws -> String {
        try String(contentsOf: repository.appendingPathComponent("README.md"), encoding: .utf8)
    }

    /// The `sh` block of the section titled `title`.
    static func shellBlock(after title: String) throws -> [String] {
        let text = try readme()
        let section = try #require(text.range(of: title)).upperBound
        let open = try #require(text.range(of: "```sh\n", range: section..<text.endIndex)).upperBound
        let close = try #require(text.range(of: "```", range: open..<text.endIndex)).lowerBound
        return text[open..<close].split(separator: "\n").map(String.init)
    }

    struct Command: CustomTestStringConvertible, Sendable {
        var arguments: [String]
        var status: Int32
        var testDescription: String { arguments.joined(separator: " ") }
    }

    /// Every `nmp` line of the tour, with the exit status its comment announces (`exit 1`,
    /// `exit 2`) or 0. `bench` and `model` are left to CI's release run: in a debug build they take
    /// minutes.
    static func tourCommands() -> [Command] {
        ((try? shellBlock(after: "## A tour of the command line")) ?? []).compactMap { line in
            guard line.hasPrefix("nmp ") else { return nil }
            let parts = line.components(separatedBy: " #")
            let arguments = parts[0].split(separator: " ").dropFirst().map(String.init)
            guard let name = arguments.first, name != "bench", name != "model" else { return nil }
            let comment = parts.dropFirst().joined()
            let status: Int32 = comment.contains("exit 1") ? 1 : comment.contains("exit 2") ? 2 : 0
            return Command(arguments: arguments, status: status)
        }
    }

    @Test func theTourHasCommands() {
        #expect(Self.tourCommands().count >= 15)
    }

    @Test(arguments: tourCommands())
    func tourCommandRuns(_ command: Command) throws {
        try FileManager.default.createDirectory(atPath: "/tmp/nmp-tour", withIntermediateDirectories: true)
        // Commands that read what an earlier one wrote find it: run those first.
        for prerequisite in [["asm", "programs/dot_product.nasm", "-o", "/tmp/nmp-tour/dot.nmc"],
                             ["asm", "programs/gemv_tiled.nasm", "-o", "/tmp/nmp-tour/gemv.nmc"]] {
            _ = try ProcessRun(prerequisite, in: Self.repository)
        }
        if command.arguments.contains("/tmp/nmp-tour/layer.nasm") && command.arguments.first == "asm" {
            _ = try ProcessRun(["layer", "--weights", "examples/bitlinear/Wq.npy", "--weight-scale", "0.01584612764418125",
                                "--input", "examples/bitlinear/X.npy", "--output", "/tmp/nmp-tour/Yq.npy",
                                "--emit-asm", "/tmp/nmp-tour/layer.nasm"], in: Self.repository)
        }
        if command.arguments.first == "sweep" {
            // A sweep resumes its results file, and refuses one of another sweep (one left by
            // an earlier nmp, whose config keys differ): start each tour sweep afresh.
            for flag in ["--out", "--jsonl"] {
                if let i = command.arguments.firstIndex(of: flag), i + 1 < command.arguments.count {
                    try? FileManager.default.removeItem(atPath: command.arguments[i + 1])
                }
            }
        }
        let run = try ProcessRun(command.arguments, in: Self.repository)
        #expect(run.status == command.status, "\(String(decoding: run.err, as: UTF8.self))")
        if command.status == 0 { #expect(!run.out.isEmpty || command.arguments.contains("-o")) }
    }

    /// The sample debugger session is the one `nmp debug` prints for the script shown, which
    /// is the file in examples/debug.
    @Test func debugSessionOutputIsCurrent() throws {
        let text = try Self.readme()
        let script = try String(contentsOf: Self.repository.appendingPathComponent("examples/debug/dot_product.txt"), encoding: .utf8)
        #expect(text.contains("```text\n" + script + "```\n"))
        let command = "$ nmp debug programs/dot_product.nasm --commands examples/debug/dot_product.txt\n"
        let start = try #require(text.range(of: "```text\n" + command)).upperBound
        let end = try #require(text.range(of: "```", range: start..<text.endIndex)).lowerBound
        let run = try ProcessRun(["debug", "programs/dot_product.nasm", "--commands", "examples/debug/dot_product.txt"], in: Self.repository)
        #expect(run.status == 0)
        #expect(String(decoding: run.out, as: UTF8.self) == String(text[start..<end]))
    }

    /// The quick start's report is the one `nmp run programs/gemv_tiled.nasm` prints.
    @Test func quickStartOutputIsCurrent() throws {
        let text = try Self.readme()
        let start = try #require(text.range(of: "```text\nprogram  programs/gemv_tiled.nasm")).lowerBound
        let block = text[text.index(start, offsetBy: 8)...].prefix { $0 != "`" }
        let shown = block.split(separator: "\n", omittingEmptySubsequences: false).prefix { $0 != "..." }
        let run = try ProcessRun(["run", "programs/gemv_tiled.nasm"], in: Self.repository)
        let printed = String(decoding: run.out, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(Array(printed.prefix(shown.count)) == Array(shown))
    }
}
