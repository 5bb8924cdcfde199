// Printing tokens as a model generates them: one token may end in the middle of a
// character (byte-level BPE splits an emoji's four bytes over up to four tokens), so the
// bytes of a character cut short are held back until the tokens that complete it arrive.

/// An incremental detokenizer: feed ids one at a time, get back the text that became
/// complete. The text returned by all `append` calls and `finish` together equals
/// `tokenizer.decode(ids)` of all the ids fed.
public struct TextStream: Sendable {
    /// The tokenizer whose tokens are decoded.
    public let tokenizer: BPETokenizer
    /// The bytes not returned yet: at most the start of one UTF-8 sequence cut short.
    private var pending: [UInt8] = []

    /// A stream decoding the tokens of `tokenizer`.
    public init(tokenizer: BPETokenizer) {
        self.tokenizer = tokenizer
    }

    /// Adds the bytes of token `id` and returns the text that is now complete (possibly
    /// empty). Invalid bytes come out as U+FFFD as soon as they cannot start a character;
    /// a valid but unfinished sequence at the end is held back.
    public mutating func append(_ id: Int) -> String {
        pending.append(contentsOf: tokenizer.bytes(of: id))
        let cut = pending.count - Self.unfinishedSuffixLength(pending)
        guard cut > 0 else { return "" }
        let text = String(decoding: pending[..<cut], as: UTF8.self)
        pending.removeFirst(cut)
        return text
    }

    /// Returns what is held back (an unfinished sequence decodes as U+FFFD) and empties
    /// the stream.
    public mutating func finish() -> String {
        defer { pending.removeAll() }
        return String(decoding: pending, as: UTF8.self)
    }

    /// The length of the longest suffix of `bytes` that is the start of a valid UTF-8
    /// sequence still missing bytes (0 when the bytes end on a complete character or on
    /// bytes already invalid). Cutting before it leaves a prefix whose decoding, U+FFFD
    /// included, is the same as in the whole: the suffix is exactly what a decoder would
    /// still be waiting on.
    static func unfinishedSuffixLength(_ bytes: [UInt8]) -> Int {
        // A sequence is at most 4 bytes, so an unfinished one starts in the last 3.
        for length in 1...3 where length <= bytes.count {
            let start = bytes.count - length
            let lead = bytes[start]
            let needed: Int
            switch lead {
            case 0xC2...0xDF: needed = 2
            case 0xE0...0xEF: needed = 3
            case 0xF0...0xF4: needed = 4
            case 0x80...0xBF: continue  // a continuation byte: its lead is further back
            default: return 0  // ASCII, or a byte never valid in UTF-8
            }
            guard length < needed else { return 0 }  // a complete (or invalid) sequence ends here
            // The bytes after the lead must be the continuations it allows (Unicode Table
            // 3-7: E0 needs A0...BF next, ED 80...9F, F0 90...BF, F4 80...8F).
            for offset in 1..<length {
                let byte = bytes[start + offset]
                let range: ClosedRange<UInt8>
                switch (lead, offset) {
                case (0xE0, 1): range = 0xA0...0xBF
                case (0xED, 1): range = 0x80...0x9F
                case (0xF0, 1): range = 0x90...0xBF
                case (0xF4, 1): range = 0x80...0x8F
                default: range = 0x80...0xBF
                }
                guard range.contains(byte) else { return 0 }
            }
            return length
        }
        return 0
    }
}
