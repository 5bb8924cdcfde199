/// A model `config.json` that cannot be read, or that describes no model the runtime can
/// build.
///
/// `field` is the JSON key at fault (`hidden_size`, `num_key_value_heads`, ...); it is empty
/// when the document is not JSON at all or its top level is not an object. `description` is
/// the one-line message a tool prints:
///
///     config.json: field 'hidden_act': unsupported activation "gelu" (supported: "relu2", "silu")
public struct ModelConfigError: Error, Equatable, CustomStringConvertible {
    /// Where the config came from: a file name, or a label for one built in code.
    public let source: String
    /// The JSON key of the value at fault; "" for errors of the document as a whole.
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
