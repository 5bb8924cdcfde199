/// A constant expression as written in the source, kept with its location so evaluation
/// errors can point at the exact sub-expression.
indirect enum Expression {
    case number(Int64, SourceLocation)
    case symbol(String, SourceLocation)
    /// `.`, the location counter where the statement starts.
    case here(SourceLocation)
    case unary(String, Expression, SourceLocation)
    case binary(String, Expression, Expression, SourceLocation)

    /// Every symbol the expression names, with where.
    var symbolReferences: [(String, SourceLocation)] {
        switch self {
        case .number, .here: []
        case .symbol(let name, let l): [(name, l)]
        case .unary(_, let e, _): e.symbolReferences
        case .binary(_, let l, let r, _): l.symbolReferences + r.symbolReferences
        }
    }

    var location: SourceLocation {
        switch self {
        case .number(_, let l), .symbol(_, let l), .here(let l), .unary(_, _, let l), .binary(_, _, _, let l): l
        }
    }

    /// Levels of the tree (1 for a leaf): how deep evaluating it recurses. The parser
    /// keeps it at most `Parser.maxExpressionNodes`.
    var height: Int {
        switch self {
        case .number, .symbol, .here: 1
        case .unary(_, let inner, _): inner.height + 1
        case .binary(_, let lhs, let rhs, _): max(lhs.height, rhs.height) + 1
        }
    }
}

/// Why an expression has no value.
struct EvaluationError: Error {
    var message: String
    var location: SourceLocation
    var notes: [Diagnostic.Note] = []
}

/// Evaluates expressions in 64-bit signed arithmetic; overflow, division by zero and
/// out-of-range shifts are errors rather than traps.
struct Evaluator {
    /// Resolves a symbol name; throws when it is undefined (or not yet usable).
    var resolve: (String, SourceLocation) throws(EvaluationError) -> Int64
    /// The value of `.` for this statement.
    var here: Int64

    func evaluate(_ e: Expression) throws(EvaluationError) -> Int64 {
        switch e {
        case .number(let v, _): return v
        case .symbol(let name, let loc): return try resolve(name, loc)
        case .here: return here
        case .unary(let op, let inner, let loc):
            let v = try evaluate(inner)
            switch op {
            case "-":
                guard v != .min else { throw EvaluationError(message: "negation overflows 64 bits", location: loc) }
                return -v
            case "~": return ~v
            default: return v
            }
        case .binary(let op, let lhs, let rhs, let loc):
            let l = try evaluate(lhs)
            let r = try evaluate(rhs)
            func checked(_ result: (partialValue: Int64, overflow: Bool)) throws(EvaluationError) -> Int64 {
                guard !result.overflow else {
                    throw EvaluationError(message: "'\(op)' overflows 64-bit arithmetic (\(l) \(op) \(r))", location: loc)
                }
                return result.partialValue
            }
            switch op {
            case "+": return try checked(l.addingReportingOverflow(r))
            case "-": return try checked(l.subtractingReportingOverflow(r))
            case "*": return try checked(l.multipliedReportingOverflow(by: r))
            case "/", "%":
                guard r != 0 else { throw EvaluationError(message: "division by zero", location: rhs.location) }
                return try checked(op == "/" ? l.dividedReportingOverflow(by: r) : l.remainderReportingOverflow(dividingBy: r))
            case "<<", ">>":
                guard (0...63).contains(r) else {
                    throw EvaluationError(message: "shift amount \(r) is outside 0...63", location: rhs.location)
                }
                if op == ">>" { return l >> r }
                let shifted = l << r
                guard shifted >> r == l else { throw EvaluationError(message: "'<<' overflows 64 bits (\(l) << \(r))", location: loc) }
                return shifted
            case "&": return l & r
            case "|": return l | r
            default: return l ^ r
            }
        }
    }
}
