import Foundation
import NMPTestSupport
import Testing
@testable import NMPAssembler

/// The README's `.nasm` examples must assemble cleanly: a first program that fails to
/// build is the worst welcome.
struct DocumentationExampleTests {
    static func nasmBlocks(in file: String) -> [String] {
        let text = (try? String(contentsOf: repositoryRoot.appendingPathComponent(file), encoding: .utf8)) ?? ""
        return text.components(separatedBy: "```nasm\n").dropFirst().compactMap { $0.components(separatedBy: "```").first }
    }

    @Test(arguments: ["README.md", "ISA.md"])
    func examplesAssemble(_ file: String) {
        let blocks = Self.nasmBlocks(in: file)
        #expect(!blocks.isEmpty)
        for block in blocks {
            let result = Assembler.assemble(source: block, fileName: file)
            let clean = result.diagnostics.isEmpty
            #expect(clean, "\(result.renderedDiagnostics)")
        }
    }
}
