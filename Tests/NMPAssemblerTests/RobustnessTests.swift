import Foundation
import NMPISA
import NMPTestSupport
import Testing
@testable import NMPAssembler

/// No input makes the assembler trap: random bytes, random tokens, mutated programs.
/// (The libFuzzer targets in fuzz/ push much further; these keep a floor in `swift test`.)
struct RobustnessTests {
    @Test func randomBytes() {
        var rng = SplitMix64(seed: 0x5EED_0040)
        for _ in 0..<2_000 {
            let bytes = (0..<Int(rng.next() % 200)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            let result = Assembler.assemble(bytes: bytes, fileName: "r.nasm")
            _ = result.renderedDiagnostics
        }
    }

    @Test func randomTokenSoup() {
        let pieces = ["add", "ldv", "loop", "r1", "r16", "v2", "[", "]", "+", "-", "0t+-", "0x", "'", "\"", ",", ":",
                      ".trits", ".equ", ".org", ".space", ".byte", ".wdata", ".text", "x", "(", ")", "<<", "9223372036854775807",
                      "\n", " ", ";", "\\", "\t", ".", "halt", "1", "-0", ".packing", "2bit", "é", "\u{0}"]
        var rng = SplitMix64(seed: 0x5EED_0041)
        for _ in 0..<3_000 {
            let text = (0..<Int(rng.next() % 40)).map { _ in pieces[Int(rng.next() % UInt64(pieces.count))] }.joined(separator: rng.next() % 2 == 0 ? " " : "")
            let result = Assembler.assemble(source: text, fileName: "soup.nasm")
            _ = result.renderedDiagnostics
        }
    }

    /// Garbage yields a bounded report, not one error per byte.
    @Test func errorCountIsCapped() {
        let text = String(repeating: "@@@\n", count: 500)
        let result = Assembler.assemble(source: text, fileName: "g.nasm")
        #expect(result.diagnostics.filter { $0.severity == .error }.count == 50)
        #expect(result.renderedDiagnostics.contains("too many errors"))
    }

    @Test func emptyFileIsAnError() {
        let result = Assembler.assemble(source: "", fileName: "empty.nasm")
        #expect(result.hasErrors)
        #expect(result.renderedDiagnostics.contains("empty.nasm: error: the program has no instructions"))
    }

    @Test func invalidUTF8IsNamed() {
        let result = Assembler.assemble(bytes: Array("halt\nad".utf8) + [0xFF, 0x41], fileName: "bin.nasm")
        #expect(result.renderedDiagnostics.contains("bin.nasm:2:3: error: the file is not UTF-8 text (invalid byte 0xFF)"))
    }

    /// Huge sizes are refused before memory is allocated.
    @Test func hugeSpaceIsRefused() {
        let result = Assembler.assemble(source: "halt\n.ddata\n.space 0x7FFFFFFFFFFF", fileName: "big.nasm")
        #expect(result.hasErrors)
        #expect(result.renderedDiagnostics.contains("the assembler's limit"))
    }
}

/// Regressions found by the libFuzzer targets in fuzz/.
struct FuzzRegressionTests {
    /// A `.space` whose size names a symbol defined later is an error in the first pass;
    /// the second pass once re-evaluated it (to 32 GiB here) and tried to allocate it.
    @Test func spaceSizeIsNotReevaluatedInPassTwo() {
        let result = Assembler.assemble(source: "halt\n.adata\n.space LATER, 1\n.equ LATER, 0x800000000", fileName: "f.nasm")
        #expect(result.hasErrors)
        #expect(result.renderedDiagnostics.contains("'LATER' is not defined before this point"))
    }
}

/// Every input the fuzzers ever crashed on (fuzz/crashes) is replayed: the assembler and
/// the image reader must answer with a result or an error, and whatever they accept must
/// survive a disassembly round trip.
struct FuzzCrashReplayTests {
    static func files(_ target: String) -> [String] { repositoryFiles(in: "fuzz/crashes/\(target)") }

    static func bytes(_ target: String, _ name: String) -> [UInt8] {
        let url = repositoryRoot.appendingPathComponent("fuzz/crashes/\(target)/\(name)")
        return (try? Data(contentsOf: url)).map { [UInt8]($0) } ?? []
    }

    static func roundTrips(_ image: MicrocodeImage) -> Bool {
        let again = Assembler.assemble(source: Disassembler.disassemble(image), fileName: "replay.nasm")
        return again.image?.encoded() == image.encoded()
    }

    @Test(arguments: files("asm"))
    func assemblerInput(_ name: String) {
        let result = Assembler.assemble(bytes: Self.bytes("asm", name), fileName: name)
        _ = result.renderedDiagnostics
        if let image = result.image { #expect(Self.roundTrips(image), "\(name)") }
    }

    @Test(arguments: files("image"))
    func imageInput(_ name: String) {
        guard let image = try? MicrocodeImage(decoding: Self.bytes("image", name), verifyChecksum: false) else { return }
        #expect(Self.roundTrips(image), "\(name)")
    }

    @Test func deepExpressionsAreErrorsNotCrashes() {
        for text in [String(repeating: "(", count: 5000) + "1", String(repeating: "-", count: 5000) + "1",
                     (0..<5000).map { _ in "1" }.joined(separator: "+")] {
            let result = Assembler.assemble(source: "halt\n.equ X, \(text)", fileName: "deep.nasm")
            #expect(result.renderedDiagnostics.contains("expression is too large"))
        }
        let chain = (0..<5000).map { ".equ c\($0), c\($0 + 1)" }.joined(separator: "\n") + "\n.equ c5000, 1\nhalt"
        #expect(Assembler.assemble(source: chain, fileName: "chain.nasm").renderedDiagnostics.contains("levels deep"))
    }
}
