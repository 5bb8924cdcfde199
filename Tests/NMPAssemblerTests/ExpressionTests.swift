import NMPTestSupport
import Testing
import NMPISA
@testable import NMPAssembler

/// Random expression trees evaluated by the assembler and by a direct reference
/// (Swift's checked arithmetic), including the error cases.
struct ExpressionTests {
    indirect enum Tree {
        case leaf(Int64)
        case unary(String, Tree)
        case binary(String, Tree, Tree)

        var text: String {
            switch self {
            case .leaf(let v): v < 0 ? "(\(v == .min ? "-9223372036854775807 - 1" : String(v)))" : String(v)
            case .unary(let op, let t): "\(op)(\(t.text))"
            case .binary(let op, let l, let r): "(\(l.text) \(op) \(r.text))"
            }
        }

        /// nil when the assembler must report an error (overflow, division by zero, bad shift).
        var value: Int64? {
            switch self {
            case .leaf(let v): return v
            case .unary(let op, let t):
                guard let v = t.value else { return nil }
                switch op {
                case "-": return v == .min ? nil : -v
                case "~": return ~v
                default: return v
                }
            case .binary(let op, let l, let r):
                guard let a = l.value, let b = r.value else { return nil }
                switch op {
                case "+": let (v, o) = a.addingReportingOverflow(b); return o ? nil : v
                case "-": let (v, o) = a.subtractingReportingOverflow(b); return o ? nil : v
                case "*": let (v, o) = a.multipliedReportingOverflow(by: b); return o ? nil : v
                case "/": if b == 0 { return nil }; let (v, o) = a.dividedReportingOverflow(by: b); return o ? nil : v
                case "%": if b == 0 { return nil }; let (v, o) = a.remainderReportingOverflow(dividingBy: b); return o ? nil : v
                case "<<":
                    guard (0...63).contains(b) else { return nil }
                    let v = a << b
                    return v >> b == a ? v : nil
                case ">>": return (0...63).contains(b) ? a >> b : nil
                case "&": return a & b
                case "|": return a | b
                default: return a ^ b
                }
            }
        }

        static func random(depth: Int, using rng: inout SplitMix64) -> Tree {
            if depth == 0 || rng.next() % 4 == 0 {
                let magnitude = [Int64(10), 100, 1 << 20, .max][Int(rng.next() % 4)]
                return .leaf(Int64(truncatingIfNeeded: rng.next()) % magnitude)
            }
            if rng.next() % 5 == 0 {
                return .unary(["-", "~", "+"][Int(rng.next() % 3)], random(depth: depth - 1, using: &rng))
            }
            let ops = ["+", "-", "*", "/", "%", "<<", ">>", "&", "|", "^"]
            return .binary(ops[Int(rng.next() % UInt64(ops.count))], random(depth: depth - 1, using: &rng),
                           random(depth: depth - 1, using: &rng))
        }
    }

    @Test func randomExpressionsMatchTheReference() {
        var rng = SplitMix64(seed: 0x5EED_0020)
        var checkedValues = 0
        for _ in 0..<2_000 {
            let tree = Tree.random(depth: 4, using: &rng)
            let source = "halt\n.ddata\n.word (\(tree.text)) & 0xFFFFFFFF, ((\(tree.text)) >> 32) & 0xFFFFFFFF"
            let result = Assembler.assemble(source: source, fileName: "e.nasm")
            if let expected = tree.value {
                guard let image = result.image else {
                    Issue.record("\(tree.text) should be \(expected): \(result.renderedDiagnostics)")
                    continue
                }
                let low = image.dramData[0..<4].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                let high = image.dramData[4..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                #expect(Int64(bitPattern: high << 32 | low) == expected, "\(tree.text)")
                checkedValues += 1
            } else {
                #expect(result.hasErrors, "\(tree.text) should be an error")
            }
        }
        #expect(checkedValues > 500)
    }

    /// C precedence: * before +, + before <<, << before &, & before ^, ^ before |.
    @Test(arguments: [
        ("1 + 2 * 3", Int64(7)), ("1 << 2 + 1", 8), ("6 & 3 ^ 1", 3), ("1 | 2 ^ 3", 1),
        ("-2 * -3", 6), ("~0", -1), ("7 / 2", 3), ("-7 / 2", -3), ("-7 % 3", -1), ("(1 + 2) * 3", 9), ("'a' + 1", 98),
    ])
    func precedence(_ text: String, _ expected: Int64) throws {
        let result = Assembler.assemble(source: ".equ X, \(text)\nhalt", fileName: "p.nasm")
        let image = try #require(result.image)
        #expect(image.symbols.first { $0.name == "X" }?.value == expected)
    }
}
