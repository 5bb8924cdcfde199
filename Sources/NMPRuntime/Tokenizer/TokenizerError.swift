import NMPSupport

/// Why a tokenizer cannot be built: the file (empty for tokenizers built from arrays), the
/// field at fault (a JSON path such as `model.merges[12]`, or a GGUF key such as
/// `tokenizer.ggml.tokens[5]`; empty when the whole file is at fault) and what is wrong:
///
///     /m/tokenizer.json: field 'model.merges[12]': names 'Ġxq', which is not in the vocabulary
public struct TokenizerError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The path (or the name given to bytes in memory) of the file at fault; empty when the
    /// tokenizer was built from arrays.
    public let file: String
    /// The JSON path or GGUF key at fault, with the index of an element in brackets; empty
    /// when the whole file is at fault (unreadable, not JSON).
    public let field: String
    /// What is wrong and what was expected.
    public let message: String

    /// An error from its parts. The field is cut after 200 Unicode scalars and its control
    /// characters escaped: a path may hold a key taken from the file.
    public init(file: String, field: String = "", message: String) {
        self.file = file
        self.field = Quoted.text(field, limit: 200)
        self.message = message
    }

    /// `"file: field 'f': message"`, leaving out the empty parts.
    public var description: String {
        var text = file.isEmpty ? "" : file + ": "
        if !field.isEmpty { text += "field '\(field)': " }
        return text + message
    }

    /// How an error quotes a token or other text taken from the input: at most 40 Unicode
    /// scalars, control characters escaped (a hostile file may hold megabytes in one token).
    static func quoted(_ text: String) -> String {
        "'" + Quoted.text(text, limit: 40) + "'"
    }
}
