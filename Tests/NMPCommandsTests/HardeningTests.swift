import Foundation
import NMPRuntime
import Testing
@testable import NMPCommands

/// Hostile and careless input: every command answers with a result or a clear error (exit
/// 1), quickly, without allocating what the input asks for, and never destroys a file.
struct HardeningTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let dotProduct = repository.appendingPathComponent("programs/dot_product.nasm").path

    static func write(_ text: String, _ name: String, in dir: URL) throws -> String {
        let path = dir.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    // MARK: No data loss

    /// The same file under another spelling, or through a symbolic link, is still the input.
    @Test func asmNeverWritesOverItsSource() throws {
        let dir = try temporaryDirectory()
        let source = try Self.write("        halt\n", "same.nasm", in: dir)
        let before = try Data(contentsOf: URL(fileURLWithPath: source))
        let link = dir.appendingPathComponent("link.nmc").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: source)
        for output in [dir.path + "/./same.nasm", dir.path + "/../" + dir.lastPathComponent + "/same.nasm", link] {
            let run = Run("asm", source, "-o", output)
            #expect(run.status == 1)
            #expect(run.err.contains("is also the source file"), "\(run.err)")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: source)) == before)
    }

    @Test func layerNeverWritesOverAnInputOrOneOutputOverAnother() throws {
        let dir = try temporaryDirectory()
        let examples = Self.repository.appendingPathComponent("examples/bitlinear")
        let w = dir.appendingPathComponent("W.npy").path, x = examples.appendingPathComponent("X.npy").path
        try FileManager.default.copyItem(atPath: examples.appendingPathComponent("W.npy").path, toPath: w)
        let before = try Data(contentsOf: URL(fileURLWithPath: w))
        let overWeights = Run("layer", "--weights", w, "--input", x, "--output", w)
        #expect(overWeights.status == 1 && overWeights.err.contains("is also the --weights file"))
        let y = dir.appendingPathComponent("Y.npy").path
        let twice = Run("layer", "--weights", w, "--input", x, "--output", y, "--accumulators", dir.path + "/./Y.npy")
        #expect(twice.status == 1 && twice.err.contains("is also the output of --output"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: w)) == before)
        #expect(!FileManager.default.fileExists(atPath: y))
    }

    /// An output that cannot be written (a directory) is found before any output is written.
    @Test(arguments: ["--accumulators", "--emit-asm"])
    func outputsAreAllOrNothing(_ option: String) throws {
        let dir = try temporaryDirectory()
        let examples = Self.repository.appendingPathComponent("examples/bitlinear")
        let y = dir.appendingPathComponent("Y.npy").path
        let run = Run("layer", "--weights", examples.appendingPathComponent("W.npy").path,
                      "--input", examples.appendingPathComponent("X.npy").path, "--output", y, option, dir.path)
        #expect(run.status == 1)
        #expect(run.err.contains("it is a directory"))
        #expect(!FileManager.default.fileExists(atPath: y))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty, "no temporary files either")
    }

    /// Device files are written through, not replaced by a regular file.
    @Test func devNullStaysADevice() throws {
        let run = Run("asm", Self.dotProduct, "-o", "/dev/null")
        #expect(run.status == 0, "\(run.err)")
        let attributes = try FileManager.default.attributesOfItem(atPath: "/dev/null")
        #expect(attributes[.type] as? FileAttributeType == .typeCharacterSpecial)
    }

    /// A FIFO gets the bytes; it is not replaced. (nmp runs as its own process here: the
    /// test reads the FIFO while it writes.)
    @Test func fifoIsWrittenThrough() throws {
        let dir = try temporaryDirectory()
        let fifo = dir.appendingPathComponent("out.nmc").path
        #expect(mkfifo(fifo, 0o600) == 0)
        let received = ReceivedBytes()
        let reader = Thread {
            received.data = FileHandle(forReadingAtPath: fifo)?.readDataToEndOfFile() ?? Data()
            received.done.signal()
        }
        reader.start()
        let run = try ProcessRun(["asm", Self.dotProduct, "-o", fifo])
        #expect(run.status == 0, "\(String(decoding: run.err, as: UTF8.self))")
        #expect(received.done.wait(timeout: .now() + 30) == .success)
        #expect(received.data.starts(with: Array("NMPC".utf8)))
        let attributes = try FileManager.default.attributesOfItem(atPath: fifo)
        #expect(attributes[.type] as? FileAttributeType != .typeRegular)
    }

    final class ReceivedBytes: @unchecked Sendable {
        var data = Data()
        let done = DispatchSemaphore(value: 0)
    }

    /// A symbolic link keeps pointing where it did; the file it names gets the image, even
    /// when it does not exist yet.
    @Test func symbolicLinksAreFollowed() throws {
        let dir = try temporaryDirectory()
        let target = dir.appendingPathComponent("target.nmc").path, link = dir.appendingPathComponent("link.nmc").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "target.nmc")
        #expect(Run("asm", Self.dotProduct, "-o", link).status == 0)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == "target.nmc")
        #expect(try Data(contentsOf: URL(fileURLWithPath: target)).starts(with: Array("NMPC".utf8)))
    }

    // MARK: No crash or balloon on sizes

    static var baseModel: [String: Any] { [
        "model_type": "bitnet", "hidden_size": 2560, "intermediate_size": 6912, "num_hidden_layers": 30,
        "num_attention_heads": 20, "num_key_value_heads": 5, "vocab_size": 128256, "hidden_act": "relu2",
        "rms_norm_eps": 1e-5, "max_position_embeddings": 4096, "tie_word_embeddings": true,
    ] }

    /// Each of these once trapped or allocated gigabytes; now each is an error before any
    /// simulation (a debug build answers within a second).
    @Test(arguments: [
        (["num_hidden_layers": 700_000_000_000_000_000], "num_hidden_layers"),
        (["num_hidden_layers": 100_000_000_000], "overflow a 64-bit count"),
        (["vocab_size": 1 << 62, "hidden_size": 2, "num_attention_heads": 1, "num_key_value_heads": 1, "intermediate_size": 1], "would overflow a 64-bit integer"),
        (["hidden_size": 1_000_000_000, "num_attention_heads": 1, "num_key_value_heads": 1], "too large"),
        (["head_dim": 1 << 40], "(field dramSize)"),
        (["hidden_size": 65536, "num_attention_heads": 512, "num_key_value_heads": 128], "(field dramSize)"),
        (["hidden_size": 20480, "intermediate_size": 1024, "num_attention_heads": 160, "num_key_value_heads": 40, "vocab_size": 1000], "(field weightSRAM.size)"),
        (["head_dim": 127], "must be even"),
        (["num_key_value_heads": 7], "must be a multiple of num_key_value_heads"),
    ] as [([String: Int], String)])
    func absurdModelsAreErrors(_ change: [String: Int], _ message: String) throws {
        var model = Self.baseModel
        for (key, value) in change { model[key] = value }
        let dir = try temporaryDirectory()
        let path = dir.appendingPathComponent("config.json").path
        try JSONSerialization.data(withJSONObject: model).write(to: URL(fileURLWithPath: path))
        let start = Date()
        let run = Run("model", "--hf-config", path)
        #expect(run.status == 1)
        #expect(run.err.contains(message), "\(run.err)")
        #expect(Date().timeIntervalSince(start) < 10, "checked before anything is simulated")
    }

    @Test func positionsBeyondTheContextAreErrors() throws {
        let path = Self.repository.appendingPathComponent("examples/bitnet-b1.58-2B-4T.config.json").path
        let prompt = Run("model", "--hf-config", path, "--prompt-tokens", "1048576")
        #expect(prompt.status == 1)
        #expect(prompt.err.contains("a prompt of 1048576 tokens after a context of 0 needs 0 + 1048576 positions, but max_position_embeddings is 4096"))
        let context = Run("model", "--hf-config", path, "--context", "4096")
        #expect(context.status == 1)
        #expect(context.err.contains("the context can be at most 4095"))
    }

    /// A --json dump is bounded; a text dump of a large range streams (here 1 MiB of DRAM).
    @Test func dumpsAreBoundedInJSONAndStreamedAsText() throws {
        let json = Run("run", Self.dotProduct, "--json", "--dump", "dram:0:16777216")
        #expect(json.status == 1)
        #expect(json.err.contains("more than a --json report holds"))
        #expect(json.out.isEmpty)
        let text = Run("run", Self.dotProduct, "--dump", "dram:0x100000:0x100000")
        #expect(text.status == 0)
        let lines = text.out.split(separator: "\n").filter { $0.hasPrefix("dram 0x") }
        #expect(lines.count == 65536)
        #expect(lines.first == "dram 0x00100000: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00")
        #expect(lines.last?.hasPrefix("dram 0x001FFFF0: ") == true)
    }

    /// Runs of equal bytes disassemble to one `.space` line, and reassemble to the same image.
    @Test func largeRegionsDisassembleToSpace() throws {
        let dir = try temporaryDirectory()
        let source = try Self.write("        halt\n.wdata\n        .space 0x100000\n.adata\n        .space 0x100000, 7\n.ddata\n        .byte 1\n        .space 0x100000\n",
                                    "space.nasm", in: dir)
        let image = dir.appendingPathComponent("space.nmc").path
        #expect(Run("asm", source, "-o", image).status == 0)
        let text = Run("disasm", image)
        #expect(text.status == 0)
        #expect(text.out.utf8.count < 1000)
        #expect(text.out.contains("    .space 1048576\n") && text.out.contains("    .space 1048576, 0x07\n"))
        let again = dir.appendingPathComponent("again.nasm").path, reimage = dir.appendingPathComponent("again.nmc").path
        #expect(Run("disasm", image, "-o", again).status == 0)
        #expect(Run("asm", again, "-o", reimage).status == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: image)) == Data(contentsOf: URL(fileURLWithPath: reimage)))
    }

    /// An unknown key of two million characters: a short message, quickly.
    @Test func hugeUnknownKeyGetsAShortMessage() throws {
        let dir = try temporaryDirectory()
        let path = try Self.write("{\"" + String(repeating: "x", count: 2_000_000) + "\": 1}", "key.json", in: dir)
        let start = Date()
        let run = Run("config", "--config", path)
        #expect(run.status == 1)
        #expect(run.err.utf8.count < 400)
        #expect(run.err.contains("(2000000 bytes)"))
        #expect(Date().timeIntervalSince(start) < 5)
    }

    // MARK: Rough edges

    @Test func byteOrderMarkIsAccepted() throws {
        let dir = try temporaryDirectory()
        let path = dir.appendingPathComponent("bom.nasm")
        try Data([0xEF, 0xBB, 0xBF] + Array("        addi r1, r0, 3\n        halt\n".utf8)).write(to: path)
        let run = Run("run", path.path, "--dump", "regs")
        #expect(run.status == 0, "\(run.err)")
        #expect(run.out.contains("r1"))
    }

    @Test func float64InputsAreConvertedAndSaid() throws {
        let dir = try temporaryDirectory()
        let w = dir.appendingPathComponent("w.npy").path, x = dir.appendingPathComponent("x.npy").path
        try Data(NPY.encode(.float32((0..<12).map { Float($0 % 5) - 2 }, shape: [3, 4]))).write(to: URL(fileURLWithPath: w))
        let doubles: [Double] = [0.5, -1.25, 2, 0.1]
        try Data(NPY.encode(.float64(bitPatterns: doubles.map(\.bitPattern), shape: [1, 4]))).write(to: URL(fileURLWithPath: x))
        let run = Run("layer", "--weights", w, "--input", x, "--output", dir.appendingPathComponent("y.npy").path)
        #expect(run.status == 0, "\(run.err)")
        #expect(run.out.contains("activations float64, converted to float32"))
    }

    @Test func nonFiniteInputsNameTheFile() throws {
        let dir = try temporaryDirectory()
        let w = dir.appendingPathComponent("w.npy").path, x = dir.appendingPathComponent("x.npy").path
        try Data(NPY.encode(.float32([1, 0, -1, 1], shape: [2, 2]))).write(to: URL(fileURLWithPath: w))
        try Data(NPY.encode(.float32([1, .infinity], shape: [1, 2]))).write(to: URL(fileURLWithPath: x))
        let run = Run("layer", "--weights", w, "--input", x, "--output", dir.appendingPathComponent("y.npy").path)
        #expect(run.status == 1)
        #expect(run.err.contains("\(x): input value [0, 1] is inf"))
    }

    @Test func weightScaleMustBePositive() throws {
        let examples = Self.repository.appendingPathComponent("examples/bitlinear")
        let run = Run("layer", "--weights", examples.appendingPathComponent("Wq.npy").path, "--weight-scale", "0",
                      "--input", examples.appendingPathComponent("X.npy").path, "--output", "/dev/null")
        #expect(run.status == 2)
        #expect(run.err.contains("is not a positive finite number"))
    }

    @Test(arguments: [(["layer", "--weight", "w.npy"], "did you mean '--weights'?"),
                      (["run", "--max-cycle", "3", "p.nasm"], "did you mean '--max-cycles'?"),
                      (["rn", "p.nasm"], "did you mean 'run'?")])
    func misspeltOptionsGetASuggestion(_ arguments: [String], _ suggestion: String) {
        let run = Run(arguments)
        #expect(run.status == 2)
        #expect(run.err.contains(suggestion), "\(run.err)")
    }

    /// `layer` and `model` take a cycle budget like `run`.
    @Test func layerAndModelTakeMaxCycles() throws {
        let examples = Self.repository.appendingPathComponent("examples/bitlinear")
        let layer = Run("layer", "--weights", examples.appendingPathComponent("W.npy").path, "--input",
                        examples.appendingPathComponent("X.npy").path, "--output", "/dev/null", "--max-cycles", "100")
        #expect(layer.status == 1)
        #expect(layer.err.contains("cycleLimit"))
        let model = Run("model", "--hf-config", Self.repository.appendingPathComponent("examples/bitnet_b1_58-large.config.json").path,
                        "--max-cycles", "1000")
        #expect(model.status == 1)
        #expect(model.err.contains("cycleLimit"))
    }
}
