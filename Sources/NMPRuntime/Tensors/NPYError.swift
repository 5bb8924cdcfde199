/// Why bytes are not a `.npy` file that nmp can read.
///
/// The message says precisely what is wrong (the unsupported dtype, the byte counts of
/// a truncated file, the malformed part of the header...), and `description` puts the
/// file's name in front of it:
///
///     weights.npy: unsupported dtype '<i8' (int64): nmp reads float32, float16, float64, int8, int32
public struct NPYError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file (or other source) the bytes came from, as given to `NPY.read`.
    public let source: String
    /// What is wrong, without the source name.
    public let message: String

    public init(source: String, message: String) {
        self.source = source
        self.message = message
    }

    /// `"source: message"`.
    public var description: String { "\(source): \(message)" }
}
