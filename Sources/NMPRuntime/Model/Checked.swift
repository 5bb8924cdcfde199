/// Overflow-checked sums and products of sizes: nil instead of a trap.
enum Checked {
    static func product(_ factors: [Int]) -> Int? {
        var result = 1
        for factor in factors {
            let (p, o) = result.multipliedReportingOverflow(by: factor)
            if o { return nil }
            result = p
        }
        return result
    }

    static func sum(_ terms: [Int?]) -> Int? {
        var result = 0
        for term in terms {
            guard let term else { return nil }
            let (s, o) = result.addingReportingOverflow(term)
            if o { return nil }
            result = s
        }
        return result
    }
}
