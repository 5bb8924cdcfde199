import Foundation
import NMPTestSupport
import Testing
@testable import NMPTrits

/// Independent references for balanced ternary, deliberately using different algorithms
/// from the implementation under test.
private enum Reference {
    /// Exact value as sum d_i * 3^i, least-significant first, in `Decimal` (38 significant
    /// decimal digits), so values beyond the Int64 range are represented exactly.
    static func value(of digits: [Trit]) -> Decimal {
        var sum = Decimal(0)
        var power = Decimal(1)
        for digit in digits.reversed() {
            sum += Decimal(Int(digit.rawValue)) * power
            power *= 3
        }
        return sum
    }

    /// Whether an exact value is representable as Int64.
    static func fitsInt64(_ exact: Decimal) -> Bool {
        exact >= Decimal(Int64.min) && exact <= Decimal(Int64.max)
    }

    /// Digits for |value| < (3^12 - 1) / 2 via the offset trick: add 111...1 (twelve ones,
    /// in base 3), take ordinary base-3 digits, then subtract 1 from every digit.
    static func smallDigits(of value: Int64) -> [Trit] {
        let width = 12
        let offset: Int64 = (531_441 - 1) / 2  // (3^12 - 1) / 2 = 111111111111 in base 3
        precondition(abs(value) <= offset)
        var unsigned = value + offset
        var lsdFirst: [Trit] = []
        for _ in 0..<width {
            lsdFirst.append(Trit(rawValue: Int8(unsigned % 3) - 1)!)
            unsigned /= 3
        }
        var digits = Array(lsdFirst.reversed().drop { $0 == .zero })
        if digits.isEmpty { digits = [.zero] }
        return digits
    }
}

private func trits(_ literal: String) -> [Trit] {
    literal.map { Trit(symbol: $0)! }
}

@Suite("BalancedTernary")
struct BalancedTernaryTests {
    @Test("known strings", arguments: [
        (Int64(0), "0"), (1, "+"), (-1, "-"), (2, "+-"), (-2, "-+"), (3, "+0"), (4, "++"),
        (5, "+--"), (8, "+0-"), (9, "+00"), (13, "+++"), (-13, "---"), (14, "+---"),
        (-5, "-++"), (121, "+++++"), (243, "+00000"),
    ])
    func knownStrings(value: Int64, string: String) {
        #expect(BalancedTernary.string(of: value) == string)
        #expect(BalancedTernary.digits(of: value) == trits(string))
        #expect(BalancedTernary.value(of: trits(string)) == value)
    }

    /// -100_000...100_000 split into ten chunks so the cases can run in parallel.
    @Test("digits/value round trip for every value in -100_000...100_000",
          arguments: Array(stride(from: Int64(-100_000), through: 80_000, by: 20_000)))
    func smallRangeRoundTrip(chunkStart: Int64) {
        var failures: [Int64] = []
        let chunkEnd = chunkStart == 80_000 ? 100_000 : chunkStart + 19_999
        for value in chunkStart...chunkEnd {
            let digits = BalancedTernary.digits(of: value)
            if digits != Reference.smallDigits(of: value)
                || BalancedTernary.value(of: digits) != value
                // string(of:) is a plain map over digits(of:); checking it on a
                // subset keeps this debug-build test fast.
                || (value % 97 == 0 && BalancedTernary.string(of: value) != String(digits.map(\.symbol))) {
                failures.append(value)
            }
        }
        #expect(failures.isEmpty, "first failures: \(failures.prefix(10))")
    }

    @Test("Int64.min and Int64.max need 41 trits and round-trip",
          arguments: [Int64.min, Int64.min + 1, Int64.max - 1, Int64.max])
    func extremes(value: Int64) {
        let digits = BalancedTernary.digits(of: value)
        #expect(digits.count == 41)
        #expect(digits.first != .zero)
        #expect(Reference.value(of: digits) == Decimal(value))
        #expect(BalancedTernary.value(of: digits) == value)
        #expect(BalancedTernary.value(of: BalancedTernary.string(of: value).map { Trit(symbol: $0)! }) == value)
    }

    @Test("round trip in windows at both ends of the Int64 range")
    func boundaryWindows() {
        var failures: [Int64] = []
        for value in Array(Int64.min...(Int64.min + 3000)) + Array((Int64.max - 3000)...Int64.max) {
            let digits = BalancedTernary.digits(of: value)
            if BalancedTernary.value(of: digits) != value || digits.first == .zero || digits.count > 41 {
                failures.append(value)
            }
        }
        #expect(failures.isEmpty, "first failures: \(failures.prefix(10))")
    }

    @Test("random full-range values match the wide reference and negate digit-wise")
    func randomFullRange() {
        var rng = SplitMix64(seed: 0xB7_2024)
        var failures: [Int64] = []
        for _ in 0..<5_000 {
            let value = Int64(bitPattern: rng.next())
            let digits = BalancedTernary.digits(of: value)
            var ok = Reference.value(of: digits) == Decimal(value)
                && BalancedTernary.value(of: digits) == value
                && digits.first != .zero
            if value != .min {
                ok = ok && BalancedTernary.digits(of: -value) == digits.map(\.negated)
            }
            if !ok { failures.append(value) }
        }
        #expect(failures.isEmpty, "first failures: \(failures.prefix(10))")
    }

    @Test("value(of:) is nil exactly when the wide reference is outside Int64")
    func overflowAgainstReference() {
        var rng = SplitMix64(seed: 41)
        var failures: [String] = []
        var overflowed = 0
        for _ in 0..<5_000 {
            let length = Int.random(in: 36...45, using: &rng)
            let digits = randomTrits(count: length, using: &rng)
            let exact = Reference.value(of: digits)
            let got = BalancedTernary.value(of: digits)
            let ok: Bool
            if Reference.fitsInt64(exact) {
                ok = got.map { Decimal($0) == exact } ?? false
            } else {
                overflowed += 1
                ok = got == nil
            }
            if !ok {
                failures.append(String(digits.map(\.symbol)))
            }
        }
        #expect(failures.isEmpty, "first failures: \(failures.prefix(5))")
        #expect(overflowed > 500, "the sample should exercise overflow often")
    }

    @Test("explicit overflow cases return nil")
    func explicitOverflow() {
        // 40 "+" = (3^40 - 1) / 2 fits; 41 "+" = (3^41 - 1) / 2 does not.
        #expect(BalancedTernary.value(of: Array(repeating: Trit.plus, count: 40)) == 6_078_832_729_528_464_400)
        #expect(BalancedTernary.value(of: Array(repeating: Trit.plus, count: 41)) == nil)
        #expect(BalancedTernary.value(of: Array(repeating: Trit.minus, count: 41)) == nil)
        #expect(BalancedTernary.value(of: [.plus] + Array(repeating: Trit.zero, count: 40)) == nil)  // 3^40
        #expect(BalancedTernary.value(of: Array(repeating: Trit.plus, count: 10_000)) == nil)

        // Int64.max = 3 * ((max - 1) / 3) + 1, so the same prefix followed by "+" is max and
        // the next value, max + 1 = 3 * ((max - 1) / 3 + 1) - 1, must overflow.
        let maxPrefix = BalancedTernary.digits(of: (Int64.max - 1) / 3)
        #expect(BalancedTernary.value(of: maxPrefix + [.plus]) == Int64.max)
        let maxPlusOne = BalancedTernary.digits(of: (Int64.max - 1) / 3 + 1) + [.minus]
        #expect(Reference.value(of: maxPlusOne) == Decimal(Int64.max) + 1)
        #expect(BalancedTernary.value(of: maxPlusOne) == nil)

        // Int64.min - 1 = 3 * ((min + 2) / 3 - 1) exactly.
        let minMinusOne = BalancedTernary.digits(of: (Int64.min + 2) / 3 - 1) + [.zero]
        #expect(Reference.value(of: minMinusOne) == Decimal(Int64.min) - 1)
        #expect(BalancedTernary.value(of: minMinusOne) == nil)
    }

    @Test("empty input, leading zeros and non-array sequences")
    func edgeInputs() {
        #expect(BalancedTernary.value(of: [Trit]()) == 0)
        #expect(BalancedTernary.value(of: EmptyCollection<Trit>()) == 0)
        #expect(BalancedTernary.digits(of: 0) == [.zero])
        #expect(BalancedTernary.string(of: 0) == "0")
        let zeros = Array(repeating: Trit.zero, count: 100)
        #expect(BalancedTernary.value(of: zeros) == 0)
        #expect(BalancedTernary.value(of: zeros + BalancedTernary.digits(of: Int64.min)) == Int64.min)
        #expect(BalancedTernary.value(of: zeros + trits("+0-")) == 8)
        #expect(BalancedTernary.value(of: "-0+".lazy.compactMap(Trit.init(symbol:))) == -8)
        #expect(BalancedTernary.value(of: AnySequence(trits("+--"))) == 5)
    }
}
