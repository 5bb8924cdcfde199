/// Balanced-ternary integers: digit strings like "+0-" (most significant digit first).
///
/// A digit string d_{n-1} ... d_1 d_0 has the value sum d_i * 3^i with d_i in {-1, 0, +1}.
/// Every integer has exactly one representation without leading zero trits, so
/// negation is digit-wise and no sign is needed.
public enum BalancedTernary {
    /// Value of a most-significant-first digit string; the empty sequence is 0 and
    /// leading zero trits are allowed.
    ///
    /// Returns nil if the value does not fit in `Int64`. All arithmetic is checked, so
    /// hostile input (e.g. thousands of "+" digits) never traps.
    public static func value<S: Sequence>(of digits: S) -> Int64? where S.Element == Trit {
        var accumulator: Int64 = 0
        for digit in digits {
            // acc * 3 + d is computed as (acc + d) + acc + acc rather than acc * 3 + d:
            // for Int64.min the product acc * 3 alone is Int64.min - 1 and would overflow
            // although the final sum fits. The partial sums here move monotonically
            // towards the result, so an overflow report means the result does not fit.
            var (sum, overflow) = accumulator.addingReportingOverflow(Int64(digit.rawValue))
            if overflow { return nil }
            for _ in 0..<2 {
                (sum, overflow) = sum.addingReportingOverflow(accumulator)
                if overflow { return nil }
            }
            accumulator = sum
        }
        return accumulator
    }

    /// Digits of `value`, most significant first, with no leading zero trits; 0 gives
    /// `[.zero]`. Works for the whole `Int64` range, including `Int64.min` and `Int64.max`.
    public static func digits(of value: Int64) -> [Trit] {
        if value == 0 { return [.zero] }
        var digits: [Trit] = []
        digits.reserveCapacity(41)  // 3^40 > 2^63, so 41 trits cover any Int64.
        var rest = value
        while rest != 0 {
            // Truncating division never overflows; the remainder -2 or 2 is folded into
            // the digit +1 or -1 by carrying into the quotient, which stays in range.
            var quotient = rest / 3
            let remainder = rest % 3
            switch remainder {
            case 2:
                digits.append(.minus)
                quotient += 1
            case -2:
                digits.append(.plus)
                quotient -= 1
            default:
                digits.append(Trit(rawValue: Int8(remainder))!)
            }
            rest = quotient
        }
        digits.reverse()
        return digits
    }

    /// String form of `value`, e.g. 5 -> "+--", -2 -> "-+", 0 -> "0".
    public static func string(of value: Int64) -> String {
        String(digits(of: value).map(\.symbol))
    }
}
