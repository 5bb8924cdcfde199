import Foundation
import NMPTestSupport
import Testing
@testable import NMPISA

/// ISA.md is the product: these tests keep it and the instruction table identical.
struct ISADocumentTests {
    static let document: String = (try? String(contentsOf: repositoryRoot.appendingPathComponent("ISA.md"), encoding: .utf8)) ?? ""

    @Test func documentExists() {
        #expect(!Self.document.isEmpty, "ISA.md is missing or empty")
    }

    /// The generated table in ISA.md is exactly what the code renders (regenerate with
    /// `swift run nmp isa --markdown`).
    @Test func generatedTableMatchesTheCode() {
        #expect(Self.document.contains(InstructionTableMarkdown.block()),
                "ISA.md's instruction table is stale: replace the block between the GENERATED markers with `nmp isa --markdown`")
    }

    /// Every opcode has its own section with its encoding byte and its cycle rule.
    @Test(arguments: Opcode.allCases)
    func everyInstructionIsDocumented(_ op: Opcode) throws {
        let section = try #require(Self.section(of: op.mnemonic), "ISA.md has no '### `\(op.mnemonic)`' section")
        #expect(section.contains("0x" + hex(UInt32(op.rawValue), digits: 2)), "section of \(op.mnemonic) lacks its opcode byte")
        #expect(section.contains(op.spec.timing.description), "section of \(op.mnemonic) lacks its cycle rule")
        #expect(section.contains(op.spec.format.rawValue), "section of \(op.mnemonic) lacks its format")
    }

    /// The "Energy:" paragraph of every instruction lists exactly the table's event counts,
    /// each written as the table renders it (for example "`registerRead` 4 + vl").
    @Test(arguments: Opcode.allCases)
    func energyCountsAreDocumented(_ op: Opcode) throws {
        let section = try #require(Self.section(of: op.mnemonic))
        let paragraph = try #require(Self.paragraph(startingWith: "Energy:", in: section),
                                     "section of \(op.mnemonic) has no 'Energy:' paragraph")
        for count in op.spec.energy {
            #expect(paragraph.contains(count.description), "\(op.mnemonic): ISA.md lacks '\(count.description)' in: \(paragraph)")
        }
        let named = Set(paragraph.split(separator: "`").enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) })
        #expect(named == Set(op.spec.events.map(\.rawValue)), "\(op.mnemonic): ISA.md's energy events differ from the table's")
    }

    /// `vl` is a scoreboard source exactly of the instructions whose energy counts depend on
    /// it (`InstructionSpec.readsVL`, which the simulator uses) and ISA.md says so per opcode.
    @Test(arguments: Opcode.allCases)
    func vlSourcesAreDocumented(_ op: Opcode) throws {
        let section = try #require(Self.section(of: op.mnemonic))
        let paragraph = try #require(Self.paragraph(startingWith: "Scoreboard:", in: section)
                                     ?? Self.paragraph(startingWith: "Scoreboard", in: section))
        let reads = paragraph.components(separatedBy: "writes").first ?? paragraph
        #expect(reads.contains("`vl`") == op.spec.readsVL, "\(op.mnemonic): ISA.md's scoreboard line and the table disagree on vl")
    }

    /// Nothing documented as an instruction is missing from the table.
    @Test func everyDocumentedInstructionExists() {
        let headings = Self.document.split(separator: "\n").filter { $0.hasPrefix("### `") }
        #expect(!headings.isEmpty)
        for heading in headings {
            let name = heading.dropFirst(5).prefix { $0 != "`" }
            #expect(Opcode(mnemonic: String(name)) != nil, "ISA.md documents '\(name)', which the table lacks")
        }
    }

    /// Every latency parameter and energy event the table uses is explained.
    @Test func parametersAndEventsAreDocumented() {
        for parameter in LatencyParameter.allCases { #expect(Self.document.contains("`\(parameter.rawValue)`"), "\(parameter)") }
        for event in EnergyEvent.allCases { #expect(Self.document.contains("`\(event.rawValue)`"), "\(event)") }
        #expect(Self.document.contains("`branchPenalty`"))
    }

    /// The paragraph of `text` that starts with `prefix`, its lines joined by spaces.
    static func paragraph(startingWith prefix: String, in text: String) -> String? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard let start = lines.firstIndex(where: { $0.hasPrefix(prefix) }) else { return nil }
        let end = lines[start...].firstIndex { $0.trimmingCharacters(in: .whitespaces).isEmpty } ?? lines.endIndex
        return lines[start..<end].joined(separator: " ")
    }

    /// The text from the instruction's heading to the next heading of level 1-3.
    static func section(of mnemonic: String) -> String? {
        let lines = document.split(separator: "\n", omittingEmptySubsequences: false)
        guard let start = lines.firstIndex(where: { $0.hasPrefix("### `\(mnemonic)`") }) else { return nil }
        let end = lines[(start + 1)...].firstIndex { $0.hasPrefix("#") && !$0.hasPrefix("####") } ?? lines.endIndex
        return lines[start..<end].joined(separator: "\n")
    }
}
