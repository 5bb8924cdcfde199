import Foundation
import Testing
@testable import NMPCommands

/// Runs `nmp` in-process and captures what it prints.
struct Run {
    var status: Int32
    var out: String
    var err: String

    init(_ arguments: String...) {
        self.init(arguments)
    }

    init(_ arguments: [String]) {
        var out = ""
        var err = ""
        let console = Console(out: { out += $0 }, err: { err += $0 })
        status = NMP.run(arguments, console: console)
        self.out = out
        self.err = err
    }
}

/// A fresh temporary directory per test.
func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("nmp-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

struct CommandLineTests {
    static let program = """
        ; two instructions
        start: addi r1, r0, 42
               halt
        .adata
               .byte 1, 2, 3
        """

    @Test func asmThenDisasmRoundTrip() throws {
        let dir = try temporaryDirectory()
        let source = dir.appendingPathComponent("p.nasm")
        try Self.program.write(to: source, atomically: true, encoding: .utf8)
        let asm = Run("asm", source.path)
        #expect(asm.status == 0, "\(asm.err)")
        #expect(asm.err.isEmpty)
        let image = dir.appendingPathComponent("p.nmc")  // default output path
        #expect(FileManager.default.fileExists(atPath: image.path))

        let dis = Run("disasm", image.path)
        #expect(dis.status == 0)
        #expect(dis.out.contains("addi   r1, r0, 42"))
        let again = dir.appendingPathComponent("again.nasm")
        try dis.out.write(to: again, atomically: true, encoding: .utf8)
        #expect(Run("asm", again.path, "-o", dir.appendingPathComponent("again.nmc").path).status == 0)
        #expect(try Data(contentsOf: image) == Data(contentsOf: dir.appendingPathComponent("again.nmc")))
    }

    /// The float32 vector unit's instructions and the half-width loads and stores (ISA.md
    /// 7.6, 7.12) through `nmp asm` and `nmp disasm`: the text disassembles to each mnemonic
    /// and reassembles to the identical image.
    @Test func asmThenDisasmRoundTripTheFloatVectorUnit() throws {
        let dir = try temporaryDirectory()
        let source = dir.appendingPathComponent("f.nasm")
        let lines = ["ldbf a1, [r2 + 6]", "stbf a7, [r15 - 2]", "ldhf a0, [r3]", "sthf a2, [r1 + 32766]",
                     "fvadd a1, a2, a3", "fvsub a4, a5, a6", "fvmul a7, a0, a1", "fvdiv a2, a3, a4", "fvmax a5, a6, a7",
                     "fvmac a0, a0, a0", "fadds a1, a2, r3", "fsubs a4, a5, r6", "fmaxs a7, a0, r0", "fmacs a1, a2, r15",
                     "fexp a3, a4", "fsum r5, a6", "frmax r7, a0", "fadd r1, r2, r3", "fsub r4, r5, r6", "fsqrt r7, r8", "halt"]
        try (lines.joined(separator: "\n") + "\n").write(to: source, atomically: true, encoding: .utf8)
        let image = dir.appendingPathComponent("f.nmc")
        let asm = Run("asm", source.path, "-o", image.path)
        #expect(asm.status == 0 && asm.err.isEmpty, "\(asm.err)")
        let dis = Run("disasm", image.path)
        #expect(dis.status == 0)
        let normalized = dis.out.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }
        for line in lines { #expect(normalized.contains(line), "disassembly lacks '\(line)'") }
        let again = dir.appendingPathComponent("again.nasm")
        try dis.out.write(to: again, atomically: true, encoding: .utf8)
        #expect(Run("asm", again.path, "-o", dir.appendingPathComponent("again.nmc").path).status == 0)
        #expect(try Data(contentsOf: image) == Data(contentsOf: dir.appendingPathComponent("again.nmc")))
    }

    @Test func errorsExitOneAndWriteNothing() throws {
        let dir = try temporaryDirectory()
        let source = dir.appendingPathComponent("bad.nasm")
        try "    ad r1, r2\n    halt\n".write(to: source, atomically: true, encoding: .utf8)
        let run = Run("asm", source.path)
        #expect(run.status == 1)
        #expect(run.err.contains("bad.nasm:1:5: error: unknown instruction 'ad'"))
        #expect(run.err.contains("    ad r1, r2\n    ^~"))
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("bad.nmc").path))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        #expect(leftovers == ["bad.nasm"])
    }

    @Test func werrorTurnsWarningsIntoFailure() throws {
        let dir = try temporaryDirectory()
        let source = dir.appendingPathComponent("w.nasm")
        try "halt\n.adata\n.byte 300\n".write(to: source, atomically: true, encoding: .utf8)
        #expect(Run("asm", source.path).status == 0)
        let strict = Run("asm", source.path, "--werror", "-o", dir.appendingPathComponent("strict.nmc").path)
        #expect(strict.status == 1)
        #expect(strict.err.contains("warning: value 300 does not fit in 8 bits"))
    }

    @Test func missingInputFile() {
        let run = Run("asm", "/nonexistent/prog.nasm")
        #expect(run.status == 1)
        #expect(run.err.contains("cannot read '/nonexistent/prog.nasm': no such file"))
    }

    @Test func unwritableOutputLeavesNothingBehind() throws {
        let dir = try temporaryDirectory()
        let source = dir.appendingPathComponent("p.nasm")
        try Self.program.write(to: source, atomically: true, encoding: .utf8)
        let noDirectory = Run("asm", source.path, "-o", dir.appendingPathComponent("missing/p.nmc").path)
        #expect(noDirectory.status == 1)
        #expect(noDirectory.err.contains("does not exist"))
        // The output path is an existing directory: the rename fails, the temp file goes.
        let target = dir.appendingPathComponent("taken")
        try FileManager.default.createDirectory(at: target.appendingPathComponent("inner"), withIntermediateDirectories: true)
        let onDirectory = Run("asm", source.path, "-o", target.path)
        #expect(onDirectory.status == 1)
        #expect(onDirectory.err.contains("cannot write"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["p.nasm", "taken"])
    }

    @Test func corruptImagesAreNamed() throws {
        let dir = try temporaryDirectory()
        let source = dir.appendingPathComponent("p.nasm")
        try Self.program.write(to: source, atomically: true, encoding: .utf8)
        #expect(Run("asm", source.path).status == 0)
        let good = try Data(contentsOf: dir.appendingPathComponent("p.nmc"))
        let cases: [(String, Data, String)] = [
            ("truncated.nmc", good.prefix(40), "says the image is"),
            ("short.nmc", good.prefix(10), "truncated image"),
            ("magic.nmc", Data("ELF!".utf8) + good.dropFirst(4), "not an nmp microcode image"),
            ("version.nmc", good.prefix(4) + Data([7, 0]) + good.dropFirst(6), "unsupported image version 7"),
            ("text.nmc", Data("hello world\n".utf8), "not an nmp microcode image"),
        ]
        for (name, bytes, message) in cases {
            let path = dir.appendingPathComponent(name)
            try bytes.write(to: path)
            let run = Run("disasm", path.path)
            #expect(run.status == 1, "\(name)")
            #expect(run.err.contains(name) && run.err.contains(message), "\(name): \(run.err)")
        }
    }

    @Test(arguments: [["asm"], ["asm", "a", "b"], ["asm", "x.nasm", "--nope"], ["disasm"], ["frobnicate"], [], ["asm", "-o"], ["isa", "extra"]])
    func usageErrorsExitTwo(_ arguments: [String]) {
        let run = Run(arguments)
        #expect(run.status == 2, "\(arguments): \(run.err)")
        #expect(!run.err.isEmpty)
    }

    @Test(arguments: ["asm", "disasm", "isa"])
    func everyCommandHasHelp(_ command: String) {
        let run = Run(command, "--help")
        #expect(run.status == 0)
        #expect(run.out.contains("usage: nmp \(command)"))
    }

    @Test func topLevelHelpAndVersion() {
        #expect(Run("--help").out.contains("commands:"))
        #expect(Run("--version").out.hasPrefix("nmp "))
    }

    @Test func isaListsEveryInstruction() {
        let run = Run("isa")
        #expect(run.status == 0)
        #expect(run.out.contains("mmac aN, mN, vN"))
        #expect(Run("isa", "--markdown").out.contains("<!-- BEGIN GENERATED: instruction-table -->"))
        let json = Run("isa", "--json").out
        let entries = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]]
        // 68 integer and ternary opcodes, 4 half-width float loads and stores, 8 of the
        // float32 scale unit, 16 of the float32 vector unit, 2 multiply-adds with weights
        // from the weight SRAM, 4 float matrix products, the ternary array's mgemm and mgemz,
        // the FP16 array's hgemm and hgemz, and fdq.
        #expect(entries?.count == 107)
        #expect(entries?.first?["mnemonic"] as? String == "nop")
    }
}
