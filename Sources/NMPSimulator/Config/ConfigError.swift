/// A machine config that cannot be read or is not valid (ISA.md sections 3.1 and 3.5).
///
/// `field` is the dotted JSON path of the offending value, e.g. `weightSRAM.banks` or
/// `energy.sramCurve[1].bytes`; it is empty when the file is not JSON at all or the
/// top level is wrong. `description` is the one-line message a tool prints:
///
///     machine.json: field 'weightSRAM.banks': must be at least 1 (got 0)
public struct ConfigError: Error, Equatable, CustomStringConvertible {
    /// Where the config came from: a file name, or `<config>` for one built in code.
    public let source: String
    /// Dotted JSON path of the value at fault; "" for errors of the document as a whole.
    public let field: String
    /// What is wrong, and the offending value where there is one.
    public let message: String

    public init(source: String, field: String, message: String) {
        self.source = source
        self.field = field
        self.message = message
    }

    public var description: String {
        field.isEmpty ? "\(source): \(message)" : "\(source): field '\(field)': \(message)"
    }
}
