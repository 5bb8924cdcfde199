import NMPSupport

/// A small argument parser: positional arguments, flags, and options with a value
/// (`-o FILE`, `--output FILE`, `--output=FILE`). Unknown options are usage errors.
struct Arguments {
    private(set) var positional: [String] = []
    private(set) var flags: Set<String> = []
    private(set) var values: [String: String] = [:]
    /// Every value given for each option, in order (for options that may repeat).
    private(set) var repeated: [String: [String]] = [:]

    /// - Parameters:
    ///   - flagNames: options without a value, e.g. ["--json"].
    ///   - valueNames: options taking a value, each with its aliases first-is-canonical,
    ///     e.g. [["--output", "-o"]].
    init(_ arguments: [String], flags flagNames: Set<String>, values valueNames: [[String]]) throws(CommandError) {
        var canonical: [String: String] = [:]
        for names in valueNames { for name in names { canonical[name] = names[0] } }
        var index = 0
        var onlyPositional = false
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if onlyPositional || !argument.hasPrefix("-") || argument == "-" {
                positional.append(argument)
                continue
            }
            if argument == "--" { onlyPositional = true; continue }
            var name = argument
            var inlineValue: String?
            if let eq = argument.firstIndex(of: "="), argument.hasPrefix("--") {
                name = String(argument[..<eq])
                inlineValue = String(argument[argument.index(after: eq)...])
            }
            if flagNames.contains(name), inlineValue == nil {
                flags.insert(name)
            } else if let key = canonical[name] {
                let value: String
                if let inlineValue {
                    value = inlineValue
                } else {
                    guard index < arguments.count else { throw .usage("option '\(name)' needs a value") }
                    value = arguments[index]
                    index += 1
                }
                values[key] = value
                repeated[key, default: []].append(value)
            } else {
                let known = flagNames.sorted() + valueNames.flatMap { $0 } + ["--help"]
                let guess = Suggestion.nearest(to: name, in: known.filter { $0.hasPrefix("--") })
                throw .usage("unknown option '\(Suggestion.quoted(argument))'" + (guess.map { "; did you mean '\($0)'?" } ?? ""))
            }
        }
    }

    /// Exactly one positional argument, named `what` in the error.
    func single(_ what: String) throws(CommandError) -> String {
        guard positional.count == 1 else {
            throw .usage(positional.isEmpty ? "missing \(what)" : "expected one \(what), got \(positional.count): \(positional.joined(separator: " "))")
        }
        return positional[0]
    }

    /// A decimal or 0x-hex integer, as options and `--dump` ranges are written.
    static func integer(_ text: String) -> Int? {
        text.hasPrefix("0x") || text.hasPrefix("0X") ? Int(text.dropFirst(2), radix: 16) : Int(text)
    }

    /// The integer value of option `name` in `minimum...maximum` (decimal, or 0x hex), nil
    /// when the option is absent; anything else is a usage error naming the option.
    func integer(_ name: String, minimum: Int, maximum: Int = Int.max) throws(CommandError) -> Int? {
        guard let text = values[name] else { return nil }
        guard let value = Self.integer(text), value >= minimum, value <= maximum else {
            let range = maximum == Int.max ? ">= \(Format.count(minimum))" : "in \(Format.count(minimum))...\(Format.count(maximum))"
            throw .usage("\(name) '\(text)' is not an integer \(range)")
        }
        return value
    }
}
