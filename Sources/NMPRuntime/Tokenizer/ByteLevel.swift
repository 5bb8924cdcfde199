// The byte-level alphabet of GPT-2 (openai/gpt-2 src/encoder.py `bytes_to_unicode`), which
// Hugging Face's ByteLevel pre-tokenizer and decoder and llama.cpp's BPE vocabularies share:
// every byte stands for one printable character, so that a vocabulary of strings can hold
// arbitrary bytes. The bytes '!'...'~', '¡'...'¬' and '®'...'ÿ' stand for the character
// of the same code point; the other 68 bytes (controls, space, DEL, NBSP, soft hyphen), in
// increasing order, for U+0100, U+0101, ... (so a space is 'Ġ' U+0120, a newline 'Ċ' U+010A).

/// The GPT-2 byte <-> character tables.
enum ByteLevel {
    /// The character each byte stands for.
    static let characterOfByte: [Unicode.Scalar] = {
        var table: [Unicode.Scalar] = []
        table.reserveCapacity(256)
        var next: UInt32 = 256
        for byte in 0...255 as ClosedRange<UInt32> {
            if (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte) {
                table.append(Unicode.Scalar(byte)!)
            } else {
                table.append(Unicode.Scalar(next)!)
                next += 1
            }
        }
        return table
    }()

    /// The byte a character stands for, by code point (0..<324: the table's range); -1 for
    /// code points that stand for no byte.
    private static let byteOfCodePoint: [Int16] = {
        var table = [Int16](repeating: -1, count: 324)
        for (byte, scalar) in characterOfByte.enumerated() { table[Int(scalar.value)] = Int16(byte) }
        return table
    }()

    /// The byte `scalar` stands for; nil when it is not in the alphabet.
    static func byte(of scalar: Unicode.Scalar) -> UInt8? {
        let value = Int(scalar.value)
        guard value < byteOfCodePoint.count, byteOfCodePoint[value] >= 0 else { return nil }
        return UInt8(byteOfCodePoint[value])
    }

    /// The bytes a token string stands for: each character's byte when every character is
    /// in the alphabet, else the string's own UTF-8 (the rule of Hugging Face's ByteLevel
    /// decoder, `decode_chain`, so that tokens added as plain text decode as written).
    static func bytes(of token: String) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(token.unicodeScalars.count)
        for scalar in token.unicodeScalars {
            guard let byte = byte(of: scalar) else { return Array(token.utf8) }
            bytes.append(byte)
        }
        return bytes
    }

    /// The byte-level string of raw bytes (what a vocabulary entry for them looks like).
    static func string<Bytes: Sequence>(of bytes: Bytes) -> String where Bytes.Element == UInt8 {
        var text = String.UnicodeScalarView()
        for byte in bytes { text.append(characterOfByte[Int(byte)]) }
        return String(text)
    }
}
