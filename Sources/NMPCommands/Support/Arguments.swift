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
                throw .usage("unknown option '\(argument)'")
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
}
