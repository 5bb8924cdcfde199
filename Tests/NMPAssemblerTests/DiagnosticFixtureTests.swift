import Foundation
import NMPTestSupport
import Testing
@testable import NMPAssembler

/// Each file in Fixtures/diagnostics is a program with mistakes, and says in comments
/// which diagnostics it must produce:
///
///     ; expect error 3:5: unknown instruction 'ad'
///
/// The assembler must report exactly those errors and warnings (each message containing
/// the expected text) and no others.
struct DiagnosticFixtureTests {
    static let directory = repositoryRoot.appendingPathComponent("Tests/NMPAssemblerTests/Fixtures/diagnostics")

    static var fixtures: [String] { repositoryFiles(in: "Tests/NMPAssemblerTests/Fixtures/diagnostics", suffix: ".nasm") }

    struct Expectation: Hashable {
        var severity: Severity
        var line: Int
        var column: Int
        var text: String
    }

    static func expectations(in source: String) -> [Expectation] {
        source.split(separator: "\n").compactMap { line -> Expectation? in
            guard let range = line.range(of: "; expect ") else { return nil }
            let rest = line[range.upperBound...]
            let parts = rest.split(separator: " ", maxSplits: 2)
            guard parts.count == 3, let severity = Severity(rawValue: String(parts[0])) else { return nil }
            let position = parts[1].dropLast().split(separator: ":")  // "3:5:" -> 3, 5
            guard position.count == 2, let l = Int(position[0]), let c = Int(position[1]) else { return nil }
            return Expectation(severity: severity, line: l, column: c, text: String(parts[2]))
        }
    }

    @Test func thereAreFixtures() {
        #expect(Self.fixtures.count >= 15)
    }

    @Test(arguments: fixtures)
    func fixtureProducesExactlyItsDiagnostics(_ name: String) throws {
        let source = try String(contentsOf: Self.directory.appendingPathComponent(name), encoding: .utf8)
        let expected = Self.expectations(in: source)
        #expect(!expected.isEmpty, "\(name) states no expectations")
        let result = Assembler.assemble(source: source, fileName: name)
        let actual = result.diagnostics.filter { $0.severity != .note }
        for expectation in expected {
            let match = actual.contains {
                $0.severity == expectation.severity && $0.location?.line == expectation.line
                    && $0.location?.column == expectation.column && $0.message.contains(expectation.text)
            }
            #expect(match, "\(name): missing \(expectation.severity) at \(expectation.line):\(expectation.column) containing \"\(expectation.text)\"\n\(result.renderedDiagnostics)")
        }
        #expect(actual.count == expected.count, "\(name): \(actual.count) diagnostics, expected \(expected.count)\n\(result.renderedDiagnostics)")
        let hasErrors = expected.contains { $0.severity == .error }
        #expect((result.image == nil) == hasErrors)
    }
}
