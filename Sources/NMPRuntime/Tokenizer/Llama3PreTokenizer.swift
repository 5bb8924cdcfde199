// The pre-tokenizer of Llama 3 (and of BitNet b1.58 2B4T, which uses Llama 3's tokenizer):
// text is cut into pieces by the split regex of Meta's tokenizer.json
// (`pre_tokenizer.pretokenizers[0].pattern.Regex`, llama.cpp's LLAMA_VOCAB_PRE_TYPE_LLAMA3),
//
//     (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
//
// applied with "isolated" behaviour: every match is a piece. Every character matches one
// alternative, so the pieces cover the text. The matcher below is written by hand over
// Unicode scalars rather than given to NSRegularExpression (slow, and its \s and case
// folding differ from Oniguruma's, the engine of Hugging Face tokenizers). It follows
// Oniguruma's semantics: alternatives are tried left to right and the first that matches
// wins (not the longest); quantifiers are greedy and backtrack. Character classes:
// \p{L} = general category L* (Lu Ll Lt Lm Lo), \p{N} = N* (Nd Nl No), \s = Unicode
// White_Space (`Unicode.Scalar.Properties.isWhitespace`). These three are disjoint, so
// every scalar is exactly one of letter, number, whitespace or other.
//
// The categories come from the Swift runtime's Unicode tables, which may be newer than the
// Oniguruma tables of a given `tokenizers` build: a character assigned since (e.g. CJK
// Extension J, U+323B0...U+3347F, Unicode 17) is a letter here but unassigned ("other")
// there, and text holding one may split differently. Against tokenizers 0.23.3, 30,000
// random strings differed only there.

/// The Llama 3 split regex as a hand-written matcher.
enum Llama3PreTokenizer {
    /// The regex this matcher implements, as Llama 3's tokenizer.json spells it (a
    /// tokenizer.json must hold exactly this pattern to be accepted).
    static let pattern = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#

    /// The regex's view of a scalar.
    enum Kind: UInt8 {
        case letter, number, whitespace, other
    }

    /// The kinds of the ASCII scalars, computed once (most text is mostly ASCII).
    private static let asciiKinds: [Kind] = (0..<128).map { classify(Unicode.Scalar(UInt8($0))) }

    /// The kind of `scalar`.
    static func kind(_ scalar: Unicode.Scalar) -> Kind {
        scalar.value < 128 ? asciiKinds[Int(scalar.value)] : classify(scalar)
    }

    private static func classify(_ scalar: Unicode.Scalar) -> Kind {
        let properties = scalar.properties
        if properties.isWhitespace { return .whitespace }
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return .letter
        case .decimalNumber, .letterNumber, .otherNumber: return .number
        default: return .other
        }
    }

    /// The pieces of `scalars[range]`, in order, as ranges of indices into `scalars`.
    static func pieces(_ scalars: [Unicode.Scalar], in range: Range<Int>) -> [Range<Int>] {
        var kinds: [Kind] = []
        kinds.reserveCapacity(range.count)
        for index in range { kinds.append(kind(scalars[index])) }
        var pieces: [Range<Int>] = []
        var start = range.lowerBound
        while start < range.upperBound {
            let end = matchEnd(scalars, kinds, base: range.lowerBound, at: start, end: range.upperBound)
            pieces.append(start..<end)
            start = end
        }
        return pieces
    }

    /// The pieces of `text` as strings (for tests and diagnostics).
    static func pieces(of text: String) -> [String] {
        let scalars = Array(text.unicodeScalars)
        return pieces(scalars, in: 0..<scalars.count).map { range in
            var piece = String.UnicodeScalarView()
            piece.append(contentsOf: scalars[range])
            return String(piece)
        }
    }

    /// `scalar` folded for the case-insensitive contractions: ASCII letters to lower case,
    /// and U+017F LATIN SMALL LETTER LONG S to 's' (Unicode case folding maps ſ to s, and
    /// Oniguruma's (?i) applies it: "it'ſ" splits as "it" "'ſ" in Hugging Face tokenizers).
    /// No other scalar folds to one of the letters s t r e v m l d.
    private static func folded(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
        switch scalar.value {
        case 0x41...0x5A: return Unicode.Scalar(scalar.value + 0x20)!
        case 0x17F: return "s"
        default: return scalar
        }
    }

    /// Where the match starting at `start` ends (always after `start`). `kinds[i - base]`
    /// is the kind of `scalars[i]`; `end` is the end of the text being split (the regex's
    /// end of input: a segment between special tokens is split on its own).
    private static func matchEnd(_ scalars: [Unicode.Scalar], _ kinds: [Kind], base: Int, at start: Int, end: Int) -> Int {
        func kind(_ index: Int) -> Kind { kinds[index - base] }
        func isLineBreak(_ index: Int) -> Bool { scalars[index] == "\r" || scalars[index] == "\n" }
        let first = scalars[start]

        // (?i:'s|'t|'re|'ve|'m|'ll|'d): the first alternative that matches wins, so "'sa"
        // gives "'s" although [^\r\n\p{L}\p{N}]?\p{L}+ would match "'sa".
        if first == "'", start + 1 < end {
            let second = folded(scalars[start + 1])
            switch second {
            case "s", "t", "m", "d":
                return start + 2
            case "r", "v":
                if start + 2 < end, folded(scalars[start + 2]) == "e" { return start + 3 }
            case "l":
                if start + 2 < end, folded(scalars[start + 2]) == "l" { return start + 3 }
            default:
                break
            }
        }

        // [^\r\n\p{L}\p{N}]?\p{L}+: an optional scalar that is no letter, number or line
        // break (a space, a tab, punctuation, a combining mark...), then a run of letters.
        // When the optional scalar is taken but no letter follows, backtracking drops it,
        // and then the first scalar itself is not a letter: no match.
        var letters = start
        if kind(start) != .letter, kind(start) != .number, !isLineBreak(start) { letters += 1 }
        if letters < end, kind(letters) == .letter {
            var index = letters + 1
            while index < end, kind(index) == .letter { index += 1 }
            return index
        }

        // \p{N}{1,3}
        if kind(start) == .number {
            var index = start + 1
            while index < end, index < start + 3, kind(index) == .number { index += 1 }
            return index
        }

        // ` ?[^\s\p{L}\p{N}]+[\r\n]*`: an optional ASCII space, a run of "other" scalars,
        // then any line breaks right after it.
        var others = start
        if first == " ", start + 1 < end, kind(start + 1) == .other { others += 1 }
        if kind(others) == .other {
            var index = others + 1
            while index < end, kind(index) == .other { index += 1 }
            while index < end, isLineBreak(index) { index += 1 }
            return index
        }

        // What is left starts with whitespace (every other scalar matched above). Its run:
        var run = start
        while run < end, kind(run) == .whitespace { run += 1 }

        // \s*[\r\n]+: \s* takes the run, then gives back until a line break follows; the
        // match ends after the run's last line break.
        var lastBreak = run - 1
        while lastBreak >= start, !isLineBreak(lastBreak) { lastBreak -= 1 }
        if lastBreak >= start { return lastBreak + 1 }

        // \s+(?!\S): the whole run at the end of the text; else the run but its last
        // scalar (which is then followed by whitespace), when that leaves one.
        if run == end { return run }
        if run - start >= 2 { return run - 1 }

        // \s+: one whitespace scalar before a non-space.
        return run
    }
}
