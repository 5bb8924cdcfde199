import NMPTestSupport
import Testing
@testable import NMPTrits

@Suite("Trit")
struct TritTests {
    @Test("raw values are the digit values, in ascending case order")
    func rawValues() {
        #expect(Trit.allCases == [.minus, .zero, .plus])
        #expect(Trit.allCases.map(\.rawValue) == [-1, 0, 1])
        #expect(Trit(rawValue: 2) == nil)
        #expect(Trit(rawValue: -2) == nil)
    }

    @Test("symbol and description", arguments: [
        (Trit.minus, Character("-")), (.zero, "0"), (.plus, "+"),
    ])
    func symbol(trit: Trit, symbol: Character) {
        #expect(trit.symbol == symbol)
        #expect(trit.description == String(symbol))
        #expect("\(trit)" == String(symbol))
        #expect(Trit(symbol: symbol) == trit)
    }

    @Test("init(symbol:) rejects every other character",
          arguments: ["1", "2", "+" as Character, "-", "0", " ", "−", "p", "m", "T", "\n", "é", "🙂"] as [Character])
    func parseSymbol(character: Character) {
        let expected: Trit? = switch character {
        case "-": .minus
        case "0": .zero
        case "+": .plus
        default: nil
        }
        #expect(Trit(symbol: character) == expected)
    }

    @Test("negated is -value and an involution", arguments: Trit.allCases)
    func negated(trit: Trit) {
        #expect(trit.negated.rawValue == -trit.rawValue)
        #expect(trit.negated.negated == trit)
    }
}

// MARK: - Test support shared by this test target


/// `count` uniformly random trits from `rng`.
func randomTrits(count: Int, using rng: inout SplitMix64) -> [Trit] {
    (0..<count).map { _ in Trit.allCases.randomElement(using: &rng)! }
}
