import NMPSupport
import NMPISA

/// Labels and `.equ` constants with where they were defined. Constants are evaluated
/// lazily (so they may refer forward) with a guard against circular definitions.
final class SymbolTable {
    enum Definition {
        case label(SymbolSpace, Int64)
        /// The expression and the value of `.` where the `.equ` stood.
        case constant(Expression, here: Int64)
    }

    struct Entry {
        var definition: Definition
        var location: SourceLocation
        var cached: Int64?
        var evaluating = false
        /// Evaluation failed once and was reported; later uses fail quietly.
        var failed = false
    }

    private(set) var entries: [String: Entry] = [:]
    private(set) var order: [String] = []
    /// Constants being evaluated right now, one inside another. Evaluation recurses, so
    /// the depth is bounded to keep a long chain of `.equ`s from exhausting the stack.
    private var depth = 0
    static let maxDepth = 64
    /// The summed heights of the expressions of those constants: evaluation recurses once
    /// per level of each, so the two limits alone would still allow 64 x 256 levels.
    private var height = 0
    static let maxHeight = 512

    /// Defines `name`; returns the earlier definition's location on a duplicate.
    func define(_ name: String, _ definition: Definition, at location: SourceLocation) -> SourceLocation? {
        if let existing = entries[name] { return existing.location }
        entries[name] = Entry(definition: definition, location: location)
        order.append(name)
        return nil
    }

    /// The value of `name`. `phase` words the error for a symbol that is not (yet) defined.
    func value(of name: String, at use: SourceLocation, phase: Phase) throws(EvaluationError) -> Int64 {
        guard var entry = entries[name] else {
            switch phase {
            case .sizing:
                throw EvaluationError(message: "'\(name)' is not defined before this point; the size of .space, .align and .org must be known when the line is reached",
                                      location: use)
            case .final:
                var notes: [Diagnostic.Note] = []
                if let guess = closestMatch(to: name, in: order) { notes.append(.init("did you mean '\(guess)'?", at: entries[guess]?.location)) }
                throw EvaluationError(message: "use of undefined symbol '\(name)'", location: use, notes: notes)
            }
        }
        switch entry.definition {
        case .label(_, let v): return v
        case .constant(let expression, let here):
            if let v = entry.cached { return v }
            if entry.failed { throw EvaluationError(message: "", location: use) }
            guard !entry.evaluating else {
                throw EvaluationError(message: "'\(name)' is defined in terms of itself", location: use,
                                      notes: [.init("'\(name)' is defined here", at: entry.location)])
            }
            let cost = expression.height
            guard depth < SymbolTable.maxDepth, height + cost <= SymbolTable.maxHeight else {
                let limit = depth < SymbolTable.maxDepth
                    ? "through expressions more than \(SymbolTable.maxHeight) levels deep"
                    : "more than \(SymbolTable.maxDepth) levels deep"
                throw EvaluationError(message: "constants refer to each other \(limit) (through '\(name)')", location: use)
            }
            entry.evaluating = true
            entries[name] = entry
            depth += 1
            height += cost
            defer {
                entries[name]?.evaluating = false
                depth -= 1
                height -= cost
            }
            let evaluator = Evaluator(resolve: { n, l throws(EvaluationError) in try self.value(of: n, at: l, phase: phase) }, here: here)
            do {
                let v = try evaluator.evaluate(expression)
                entries[name]?.cached = v
                return v
            } catch {
                // Only a final-pass failure is permanent; a sizing-pass one may resolve later.
                if phase == .final { entries[name]?.failed = true }
                throw error
            }
        }
    }

    enum Phase { case sizing, final }
}

/// The candidate closest to `name`, if it is close enough to be a typo (`Suggestion`).
func closestMatch(to name: String, in candidates: some Sequence<String>) -> String? {
    Suggestion.nearest(to: name, in: candidates)
}
