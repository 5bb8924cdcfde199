import Foundation
import NMPTestSupport
import Testing
@testable import NMPRuntime

/// The tokenizer fixtures (Fixtures/tokenizer/make_tokenizer_fixtures.py): a small byte-level
/// BPE trained by Hugging Face `tokenizers` with the Llama 3 pre-tokenizer, saved as
/// tokenizer.json and (as llama.cpp's converter writes it) tokenizer.gguf, and the ids,
/// pieces and decodings `tokenizers` gives for the test strings (expected.json).
enum TokenizerFixtures {
    static let folder = repositoryRoot.appendingPathComponent("Tests/NMPRuntimeTests/Fixtures/tokenizer")
    static func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    struct Case: Decodable, Sendable, CustomTestStringConvertible {
        let text: String
        let ids: [Int]
        let idsNoSpecial: [Int]
        let decoded: String
        let pieces: [String]
        var testDescription: String { text.debugDescription }
    }

    struct DecodeCase: Decodable, Sendable {
        let ids: [Int]
        let decoded: String
        let decodedSkippingSpecial: String
    }

    struct Hand: Decodable, Sendable {
        let vocab: [String: Int]
        let merges: [String]
        let words: [String: [String: [Int]]]
    }

    struct Expected: Decodable, Sendable {
        let tokenizersVersion: String
        let vocabSize: Int
        let bosId: Int
        let eosId: Int
        let specialIds: [Int]
        let cases: [Case]
        let random: [Case]
        let decode: [DecodeCase]
        let hand: Hand
    }

    /// expected.json; nil when unreadable (the `fixturesLoad` test then fails).
    static let expected: Expected? = {
        guard let data = try? Data(contentsOf: folder.appendingPathComponent("expected.json")) else { return nil }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try? decoder.decode(Expected.self, from: data)
    }()

    /// The hand-picked strings and the seeded random ones.
    static let allCases: [Case] = (expected?.cases ?? []) + (expected?.random ?? [])

    static let fromJSON: BPETokenizer? = try? BPETokenizer.load(tokenizerJSON: path("tokenizer.json"))
    static let fromGGUF: BPETokenizer? = {
        guard let file = try? GGUFFile(path: path("tokenizer.gguf")) else { return nil }
        return try? BPETokenizer(gguf: file)
    }()

    static func jsonText() throws -> String {
        try String(contentsOf: folder.appendingPathComponent("tokenizer.json"), encoding: .utf8)
    }
}

struct TokenizerFixtureTests {
    @Test func fixturesLoad() throws {
        let expected = try #require(TokenizerFixtures.expected)
        #expect(expected.cases.count >= 40 && expected.random.count >= 40)
        let json = try #require(TokenizerFixtures.fromJSON)
        let gguf = try #require(TokenizerFixtures.fromGGUF)
        for tokenizer in [json, gguf] {
            #expect(tokenizer.vocabularySize == expected.vocabSize)
            #expect(tokenizer.bosID == expected.bosId)
            #expect(tokenizer.addsBOS)
            #expect(tokenizer.ignoresMerges)
            #expect(tokenizer.specialTokenIDs == expected.specialIds)
            #expect(tokenizer.eosIDs.contains(expected.eosId))
            #expect(tokenizer.eosIDs.contains(try #require(tokenizer.id(of: "<|eot_id|>"))))
        }
        #expect(json.tokens == gguf.tokens)
    }

    @Test(arguments: TokenizerFixtures.allCases)
    func jsonEncodesAsTokenizers(_ example: TokenizerFixtures.Case) throws {
        let tokenizer = try #require(TokenizerFixtures.fromJSON)
        #expect(tokenizer.encode(example.text) == example.ids)
        #expect(tokenizer.encode(example.text, addSpecialTokens: false) == example.idsNoSpecial)
    }

    @Test(arguments: TokenizerFixtures.allCases)
    func ggufEncodesAsTokenizers(_ example: TokenizerFixtures.Case) throws {
        let tokenizer = try #require(TokenizerFixtures.fromGGUF)
        #expect(tokenizer.encode(example.text) == example.ids)
        #expect(tokenizer.encode(example.text, addSpecialTokens: false) == example.idsNoSpecial)
    }

    /// decode(encode(s)) == s (the fixture strings are valid text, so nothing is lost), and
    /// equals `tokenizers`' decoding; the BOS decodes as its text unless skipped.
    @Test(arguments: TokenizerFixtures.allCases)
    func decodeRoundTrips(_ example: TokenizerFixtures.Case) throws {
        let tokenizer = try #require(TokenizerFixtures.fromJSON)
        #expect(tokenizer.decode(example.idsNoSpecial) == example.decoded)
        #expect(example.decoded == example.text)
        #expect(tokenizer.decode(example.ids) == "<|begin_of_text|>" + example.text)
        let withoutSpecials = ["<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>"].reduce(example.text) { $0.replacing($1, with: "") }
        #expect(tokenizer.decode(example.ids, skipSpecialTokens: true) == withoutSpecials)
    }

    /// The hand-written matcher splits as Hugging Face's Split(regex, isolated) does.
    @Test(arguments: TokenizerFixtures.allCases)
    func piecesMatchTheRegexSplit(_ example: TokenizerFixtures.Case) {
        #expect(Llama3PreTokenizer.pieces(of: example.text) == example.pieces)
    }

    /// Byte sequences that are not UTF-8 decode with U+FFFD exactly as `tokenizers` does
    /// (Rust's from_utf8_lossy), and a stream fed the same ids gives the same text.
    @Test func invalidUTF8DecodesAsTokenizers() throws {
        let tokenizer = try #require(TokenizerFixtures.fromJSON)
        let cases = try #require(TokenizerFixtures.expected?.decode)
        #expect(cases.count >= 8)
        for example in cases {
            #expect(tokenizer.decode(example.ids) == example.decoded, "\(example.ids)")
            #expect(tokenizer.decode(example.ids, skipSpecialTokens: true) == example.decodedSkippingSpecial, "\(example.ids)")
            var stream = TextStream(tokenizer: tokenizer)
            let streamed = example.ids.map { stream.append($0) }.joined() + stream.finish()
            #expect(streamed == example.decoded, "\(example.ids)")
        }
    }

    /// A word that is a token is emitted whole with ignore_merges, merged without it, as
    /// models.BPE does (expected.json "hand").
    @Test(arguments: [false, true])
    func ignoreMergesAsTokenizers(_ ignore: Bool) throws {
        let hand = try #require(TokenizerFixtures.expected?.hand)
        var tokens = [String](repeating: "", count: hand.vocab.count)
        for (token, id) in hand.vocab { tokens[id] = token }
        let merges = hand.merges.map { line in
            let parts = line.split(separator: " ")
            return (String(parts[0]), String(parts[1]))
        }
        let tokenizer = try BPETokenizer(tokens: tokens, merges: merges, specialTokens: [], bosID: nil, eosIDs: [],
                                         addsBOS: false, ignoreMerges: ignore)
        let words = try #require(hand.words[ignore ? "ignore_merges" : "merges"])
        #expect(words.count >= 5)
        for (word, ids) in words {
            #expect(tokenizer.encode(word) == ids, "\(word)")
        }
        #expect(tokenizer.encode("abc") == (ignore ? [6] : [0, 4]))
    }

    /// Merges written as "a b" strings (the older tokenizer.json form) load the same merges.
    @Test func mergesAsStrings() throws {
        let text = try TokenizerFixtures.jsonText()
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        var model = try #require(object["model"] as? [String: Any])
        let pairs = try #require(model["merges"] as? [[String]])
        model["merges"] = pairs.map { $0.joined(separator: " ") }
        var rewritten = object
        rewritten["model"] = model
        let data = try JSONSerialization.data(withJSONObject: rewritten)
        let tokenizer = try BPETokenizer(tokenizerJSON: [UInt8](data), source: "strings.json")
        for example in TokenizerFixtures.allCases.prefix(20) {
            #expect(tokenizer.encode(example.text) == example.ids)
        }
    }
}

/// The pre-tokenizer on cases whose pieces are written by hand from the regex
/// (alternatives tried left to right, the first match wins), independently of
/// `tokenizers` and of the matcher's code.
struct Llama3PreTokenizerTests {
    static let cases: [(String, [String])] = [
        ("Hello world", ["Hello", " world"]),
        ("it's", ["it", "'s"]),
        ("IT'S", ["IT", "'S"]),
        ("we'LL", ["we", "'LL"]),
        ("'sand", ["'s", "and"]),                          // the contraction wins over ?\p{L}+
        ("'re'Ve'm'D't", ["'re", "'Ve", "'m", "'D", "'t"]),
        ("'x", ["'x"]),                                    // no contraction: [^...]?\p{L}+
        ("'r", ["'r"]),                                    // 'r without e is a letter run
        ("''", ["''"]),
        ("1234567", ["123", "456", "7"]),
        ("a1b", ["a", "1", "b"]),
        (" 12", [" ", "12"]),                              // a space before digits stands alone
        ("x!!!", ["x", "!!!"]),
        (" !!\n\nz", [" !!\n\n", "z"]),                    // punctuation takes the line breaks after it
        ("a  b", ["a", " ", " b"]),                        // \s+(?!\S) leaves the last space
        ("a   ", ["a", "   "]),                            // trailing run: all of it
        ("   ", ["   "]),
        (" ", [" "]),
        ("a\n\nb", ["a", "\n\n", "b"]),
        ("a \n b", ["a", " \n", " b"]),                    // \s*[\r\n]+ ends at the last break
        ("a\r\n", ["a", "\r\n"]),
        ("\t\tfoo", ["\t", "\tfoo"]),                      // a tab may lead a letter run
        ("\nfoo", ["\n", "foo"]),                          // a line break may not
        ("café", ["café"]),
        ("cafe\u{301}", ["cafe", "\u{301}"]),              // a combining mark is not \p{L}
        ("\u{301}x", ["\u{301}x"]),                        // ... so it may lead a letter run
        ("日本語", ["日本語"]),
        ("😀😀 x", ["😀😀", " x"]),
        ("x\u{A0}y", ["x", "\u{A0}y"]),                    // NBSP is \s but not \r\n: leads "y"
        ("½Ⅻ", ["½Ⅻ"]),                                    // No and Nl are \p{N}
        ("a.b", ["a", ".b"]),
        ("", []),
    ]

    @Test(arguments: cases)
    func handWrittenPieces(_ text: String, _ pieces: [String]) {
        #expect(Llama3PreTokenizer.pieces(of: text) == pieces)
    }

    /// The pieces always cover the text, in order, whatever it holds.
    @Test func piecesCoverRandomText() {
        var rng = SplitMix64(seed: 7)
        let pool: [Unicode.Scalar] = ["a", "Z", "'", "s", "L", "1", " ", "\t", "\n", "\r", "!", "\u{A0}", "é", "\u{301}", "日", "😀", "\u{200D}", "ſ"]
        for _ in 0..<500 {
            var text = String.UnicodeScalarView()
            for _ in 0..<Int(rng.next() % 20) { text.append(pool[Int(rng.next() % UInt64(pool.count))]) }
            let string = String(text)
            let pieces = Llama3PreTokenizer.pieces(of: string)
            #expect(pieces.joined() == string && !pieces.contains(""), "\(string.debugDescription)")
        }
    }
}

struct TokenizerTextStreamTests {
    /// "😀" is four bytes, each its own token here: nothing comes out until the last.
    @Test func holdsBackASplitCharacter() throws {
        let tokenizer = try #require(TokenizerFixtures.fromJSON)
        let ids = [0xF0, 0x9F, 0x98, 0x80].map { tokenizer.id(of: String(Character(ByteLevel.characterOfByte[$0])))! }
        var stream = TextStream(tokenizer: tokenizer)
        #expect(tokenizer.encode("Hi", addSpecialTokens: false).map { stream.append($0) }.joined() == "Hi")
        #expect(stream.append(ids[0]) == "")
        #expect(stream.append(ids[1]) == "")
        #expect(stream.append(ids[2]) == "")
        #expect(stream.append(ids[3]) == "😀")
        #expect(stream.finish() == "")
    }

    /// A character cut short by the end of the stream comes out as U+FFFD.
    @Test func finishFlushesAnUnfinishedCharacter() throws {
        let tokenizer = try #require(TokenizerFixtures.fromJSON)
        let lead = try #require(tokenizer.id(of: String(Character(ByteLevel.characterOfByte[0xE2]))))
        var stream = TextStream(tokenizer: tokenizer)
        #expect(stream.append(lead) == "")
        #expect(stream.finish() == "\u{FFFD}")
        #expect(stream.finish() == "")
    }

    /// Streaming every fixture string token by token gives its decoding.
    @Test func streamsEveryFixtureString() throws {
        let tokenizer = try #require(TokenizerFixtures.fromJSON)
        for example in TokenizerFixtures.allCases {
            var stream = TextStream(tokenizer: tokenizer)
            var text = ""
            for id in example.idsNoSpecial {
                let piece = stream.append(id)
                #expect(!piece.unicodeScalars.contains("\u{FFFD}"), "\(example.text.debugDescription)")
                text += piece
            }
            text += stream.finish()
            #expect(text == example.text)
        }
    }

    @Test func unfinishedSuffixLengths() {
        #expect(TextStream.unfinishedSuffixLength([]) == 0)
        #expect(TextStream.unfinishedSuffixLength([0x41]) == 0)
        #expect(TextStream.unfinishedSuffixLength([0x41, 0xC3]) == 1)
        #expect(TextStream.unfinishedSuffixLength([0xC3, 0xA9]) == 0)
        #expect(TextStream.unfinishedSuffixLength([0xF0, 0x9F, 0x98]) == 3)
        #expect(TextStream.unfinishedSuffixLength([0xE0, 0x80]) == 0)   // E0 80 is never valid
        #expect(TextStream.unfinishedSuffixLength([0xED, 0xA0]) == 0)   // a surrogate
        #expect(TextStream.unfinishedSuffixLength([0xF4, 0x90]) == 0)   // beyond U+10FFFF
        #expect(TextStream.unfinishedSuffixLength([0x80, 0x80, 0x80]) == 0)
        #expect(TextStream.unfinishedSuffixLength([0xFF]) == 0)
    }
}

/// Hand-made vocabularies: the rules of `init(tokens:...)` and BPE itself.
struct BPETokenizerTests {
    static let tokens = ["a", "b", "c", "ab", "abc", "<s>"]

    @Test func mergesLowestRankFirstThenLeftmost() throws {
        // "aaaa" with a+a and aa+aa: a a a a -> aa a a (leftmost) -> aa aa -> aaaa.
        let tokenizer = try BPETokenizer(tokens: ["a", "aa", "aaaa", "aaa"], merges: [("a", "a"), ("aa", "aa"), ("aa", "a")],
                                         specialTokens: [], bosID: nil, eosIDs: [], addsBOS: false, ignoreMerges: false)
        #expect(tokenizer.encode("aaaa") == [2])
        #expect(tokenizer.encode("aaa") == [3])
        #expect(tokenizer.encode("aaaaa") == [2, 0])
    }

    @Test func bytesWithoutATokenAreDropped() throws {
        let tokenizer = try BPETokenizer(tokens: Self.tokens, merges: [("a", "b")], specialTokens: [5], bosID: 5, eosIDs: [],
                                         addsBOS: true, ignoreMerges: false)
        #expect(tokenizer.encode("abxc") == [5, 3, 2])
        #expect(tokenizer.encode("<s>ab", addSpecialTokens: false) == [5, 3])
        #expect(tokenizer.decode([5, 3, 99, -1]) == "<s>ab")
        #expect(tokenizer.bytes(of: 99) == [])
    }

    @Test func longestSpecialTokenWins() throws {
        let tokenizer = try BPETokenizer(tokens: ["<", "a", "b", ">", "<a>", "<a><b>", "<a>b"], merges: [],
                                         specialTokens: [4, 5, 6], bosID: nil, eosIDs: [], addsBOS: false, ignoreMerges: false)
        #expect(tokenizer.encode("<a><b>") == [5])
        #expect(tokenizer.encode("<a><a>b") == [4, 6])
        #expect(tokenizer.encode("<a><b") == [4, 0, 2])
    }

    /// Arguments of `init(tokens:...)` with one fault, and the field its error names.
    struct BadArguments: Sendable, CustomTestStringConvertible {
        var field: String
        var tokens: [String]
        var merges: [(String, String)] = []
        var specials: [Int] = []
        var bos: Int? = nil
        var eos: [Int] = []
        var addsBOS = false
        var testDescription: String { field }
    }

    static let badArguments: [BadArguments] = [
        BadArguments(field: "tokens[2]", tokens: ["a", "b", "a"]),
        BadArguments(field: "merges[0]", tokens: ["a", "b"], merges: [("a", "c")]),
        BadArguments(field: "merges[0]", tokens: ["a", "b"], merges: [("a", "b")]),           // makes "ab", not a token
        BadArguments(field: "merges[1]", tokens: ["a", "b", "ab"], merges: [("a", "b"), ("a", "b")]),
        BadArguments(field: "specialTokens[1]", tokens: ["a"], specials: [0, 1]),
        BadArguments(field: "bosID", tokens: ["a"], bos: -1),
        BadArguments(field: "bosID", tokens: ["a"], addsBOS: true),
        BadArguments(field: "eosIDs[0]", tokens: ["a"], eos: [7]),
    ]

    @Test(arguments: badArguments)
    func badArgumentsNameTheirField(_ bad: BadArguments) {
        do {
            _ = try BPETokenizer(tokens: bad.tokens, merges: bad.merges, specialTokens: bad.specials, bosID: bad.bos,
                                 eosIDs: bad.eos, addsBOS: bad.addsBOS, ignoreMerges: false)
            Issue.record("accepted")
        } catch {
            #expect(error.field == bad.field, "\(error)")
            #expect(error.file.isEmpty)
        }
    }

    /// Long inputs: one word of 200,000 letters (a single piece, merged through the heap),
    /// 200,000 spaces (one piece) and 20,000 near-misses of a special token. Each takes well
    /// under a second; a quadratic merge loop or matcher would take minutes (speed itself
    /// is not asserted, as everywhere in this package).
    @Test func longInputsEncode() throws {
        let tokenizer = try #require(TokenizerFixtures.fromJSON)
        for text in [String(repeating: "ab", count: 100_000), String(repeating: " ", count: 200_000),
                     String(repeating: "<|eot_id", count: 20_000)] {
            let ids = tokenizer.encode(text, addSpecialTokens: false)
            #expect(!ids.isEmpty && tokenizer.decode(ids) == text)
        }
    }
}

/// Malformed tokenizer.json files: each is an error naming the field, never a trap.
struct TokenizerJSONErrorTests {
    static let preTokenizer = #"{"type": "Sequence", "pretokenizers": [{"type": "Split", "pattern": {"Regex": "\#(Llama3PreTokenizer.pattern.replacing("\\", with: "\\\\"))"}, "behavior": "Isolated", "invert": false}, {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false}]}"#

    /// A minimal valid file with `model` and the rest replaceable.
    static func document(model: String = #"{"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b"], "ignore_merges": true}"#,
                         added: String = #"[{"id": 3, "content": "<s>", "special": true}]"#,
                         pre: String = preTokenizer,
                         post: String = #"{"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}], "special_tokens": {"<s>": {"id": "<s>", "ids": [3], "tokens": ["<s>"]}}}"#,
                         extra: String = "") -> String {
        #"{"version": "1.0", "added_tokens": \#(added), "normalizer": null, "pre_tokenizer": \#(pre), "post_processor": \#(post), "decoder": {"type": "ByteLevel"}, "model": \#(model)\#(extra)}"#
    }

    @Test func minimalDocumentLoads() throws {
        let tokenizer = try BPETokenizer(tokenizerJSON: Array(Self.document().utf8), source: "t.json")
        #expect(tokenizer.encode("ab<s>a") == [3, 2, 3, 0])
        #expect(tokenizer.vocabularySize == 4)
    }

    static let bad: [(field: String, json: String)] = [
        ("", "{"),
        ("", "[1, 2]"),
        ("model", document().replacing(#", "model": "#, with: #", "mode": "#)),
        ("model.vocab", document(model: #"{"type": "BPE", "vocab": [], "merges": []}"#)),
        ("model.vocab", document(model: #"{"type": "BPE", "vocab": {"a": 0, "a": 1}, "merges": []}"#)),
        ("model.vocab", document(model: #"{"type": "BPE", "vocab": {"a": 0, "b": 0}, "merges": []}"#)),
        ("model.vocab", document(model: #"{"type": "BPE", "vocab": {"a": 0, "b": 9000000000}, "merges": []}"#)),
        ("model.vocab", document(model: #"{"type": "BPE", "vocab": {"a": 0, "b": 1e3}, "merges": []}"#)),
        ("model.vocab", document(model: #"{"type": "BPE", "vocab": {"a": 0, "b": "1"}, "merges": []}"#)),
        ("model.vocab", document(model: #"{"type": "BPE", "vocab": {"a": 0, "b": 2}, "merges": []}"#, added: "[]")),
        ("model.vocab", document(model: #"{"type": "BPE", "vocab": {"a": 0, "b": -1}, "merges": []}"#)),
        ("model.type", document(model: #"{"type": "WordPiece", "vocab": {}, "merges": []}"#)),
        ("model.merges", document(model: #"{"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}}"#)),
        ("model.merges", document(model: #"{"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": {}}"#)),
        ("model.merges[0]", document(model: #"{"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["ab"]}"#)),
        ("model.merges[0]", document(model: #"{"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a  b"]}"#)),
        ("model.merges[0]", document(model: #"{"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": [["a"]]}"#)),
        ("model.merges[0]", document(model: #"{"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": [["a", 1]]}"#)),
        ("model.merges[0]", document(model: #"{"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": [7]}"#)),
        ("model.merges[1]", document(model: #"{"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b", "a c"]}"#)),
        ("model.merges[0]", document(model: #"{"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["b a"]}"#)),
        ("model.merges[1]", document(model: #"{"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b", ["a", "b"]]}"#)),
        ("model.ignore_merges", document(model: #"{"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": [], "ignore_merges": 1}"#)),
        ("model.dropout", document(model: #"{"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": [], "dropout": 0.1}"#)),
        ("model.continuing_subword_prefix", document(model: #"{"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": [], "continuing_subword_prefix": "@@"}"#)),
        ("added_tokens", document(added: "{}")),
        ("added_tokens[0].id", document(added: #"[{"id": 0, "content": "<s>", "special": true}]"#)),
        ("added_tokens[0].id", document(added: #"[{"id": 99, "content": "<s>", "special": true}]"#)),
        ("added_tokens[0].id", document(added: #"[{"content": "<s>"}]"#)),
        ("added_tokens[0].content", document(added: #"[{"id": 3, "content": "ab", "special": true}]"#)),
        ("added_tokens[0].content", document(added: #"[{"id": 3, "content": null}]"#)),
        ("added_tokens[0].special", document(added: #"[{"id": 3, "content": "<s>", "special": "yes"}]"#)),
        ("added_tokens[0].lstrip", document(added: #"[{"id": 3, "content": "<s>", "lstrip": true}]"#)),
        ("normalizer", document(extra: #", "normalizer": {"type": "NFC"}"#).replacing(#""normalizer": null, "#, with: "")),
        ("pre_tokenizer", document(pre: "null")),
        ("pre_tokenizer.type", document(pre: #"{"type": "ByteLevel", "add_prefix_space": false, "use_regex": true}"#)),
        ("pre_tokenizer.pretokenizers", document(pre: #"{"type": "Sequence", "pretokenizers": []}"#)),
        ("pre_tokenizer.pretokenizers[0].pattern.Regex", document(pre: preTokenizer.replacing("(?i:", with: "(?:"))),
        ("pre_tokenizer.pretokenizers[0].pattern", document(pre: preTokenizer.replacing(#"{"Regex": "#, with: #"{"String": "#))),
        ("pre_tokenizer.pretokenizers[0].behavior", document(pre: preTokenizer.replacing("Isolated", with: "Removed"))),
        ("pre_tokenizer.pretokenizers[1].use_regex", document(pre: preTokenizer.replacing(#""use_regex": false"#, with: #""use_regex": true"#))),
        ("pre_tokenizer.pretokenizers[1].use_regex", document(pre: preTokenizer.replacing(#", "use_regex": false"#, with: ""))),
        ("pre_tokenizer.pretokenizers[1].add_prefix_space", document(pre: preTokenizer.replacing(#""add_prefix_space": false"#, with: #""add_prefix_space": true"#))),
        ("decoder.type", document(extra: #", "decoder": {"type": "WordPiece"}"#).replacing(#""decoder": {"type": "ByteLevel"}, "#, with: "")),
        ("post_processor.type", document(post: #"{"type": "BertProcessing"}"#)),
        ("post_processor.single", document(post: #"{"type": "TemplateProcessing", "single": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "<s>", "type_id": 0}}], "special_tokens": {}}"#)),
        ("post_processor.special_tokens", document(post: #"{"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<x>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}], "special_tokens": {}}"#)),
        ("post_processor.special_tokens.<s>.ids", document(post: #"{"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}], "special_tokens": {"<s>": {"id": "<s>", "ids": [3, 3]}}}"#)),
        ("post_processor", document(post: #"{"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}], "special_tokens": {"<s>": {"id": "<s>", "ids": [77]}}}"#)),
        ("post_processor.processors[1]", document(post: #"{"type": "Sequence", "processors": [{"type": "ByteLevel"}, {"type": "TemplateProcessing", "single": [{"Sequence": {"id": "A", "type_id": 0}}]}, {"type": "TemplateProcessing", "single": [{"Sequence": {"id": "A", "type_id": 0}}]}]}"#).replacing(#"[{"type": "ByteLevel"}, "#, with: "[")),
    ]

    @Test(arguments: bad)
    func badFileNamesTheField(_ field: String, _ json: String) {
        do {
            let tokenizer = try BPETokenizer(tokenizerJSON: Array(json.utf8), source: "bad.json")
            Issue.record("accepted, vocabulary \(tokenizer.vocabularySize)")
        } catch {
            #expect(error.file == "bad.json")
            #expect(error.field == field, "\(error)")
            #expect(error.description.hasPrefix("bad.json: ") && error.description.utf8.count <= 1024)
        }
    }

    @Test func missingFile() {
        #expect(throws: TokenizerError(file: "/nonexistent/tokenizer.json", message: "missing file")) {
            try BPETokenizer.load(tokenizerJSON: "/nonexistent/tokenizer.json")
        }
    }

    /// Errors quote tokens from the file by their first 40 scalars and escape controls.
    @Test func longTokensAreQuotedShort() {
        let long = String(repeating: "x\\n", count: 5000)
        let json = Self.document(model: #"{"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a \#(long)"]}"#)
        do {
            _ = try BPETokenizer(tokenizerJSON: Array(json.utf8), source: "long.json")
            Issue.record("accepted")
        } catch {
            #expect(error.field == "model.merges[0]")
            #expect(error.description.utf8.count < 400 && !error.description.contains("\n"), "\(error)")
        }
    }
}

/// GGUF tokenizer metadata: a file of metadata only, built here key by key.
struct TokenizerGGUFTests {
    enum Value {
        case string(String), uint32(UInt32), int32(Int32), bool(Bool), strings([String]), int32s([Int32])
    }

    /// A GGUF v3 file with no tensors and the given metadata.
    static func gguf(_ pairs: [(String, Value)]) -> [UInt8] {
        var bytes: [UInt8] = Array("GGUF".utf8)
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
        func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
        func string(_ s: String) { u64(UInt64(s.utf8.count)); bytes += Array(s.utf8) }
        u32(3)
        u64(0)
        u64(UInt64(pairs.count))
        for (key, value) in pairs {
            string(key)
            switch value {
            case .string(let s): u32(8); string(s)
            case .uint32(let v): u32(4); u32(v)
            case .int32(let v): u32(5); u32(UInt32(bitPattern: v))
            case .bool(let v): u32(7); bytes.append(v ? 1 : 0)
            case .strings(let list): u32(9); u32(8); u64(UInt64(list.count)); list.forEach(string)
            case .int32s(let list): u32(9); u32(5); u64(UInt64(list.count)); list.forEach { u32(UInt32(bitPattern: $0)) }
            }
        }
        return bytes
    }

    static let valid: [(String, Value)] = [
        ("general.architecture", .string("bitnet-b1.58")),
        ("tokenizer.ggml.model", .string("gpt2")),
        ("tokenizer.ggml.pre", .string("llama-bpe")),
        ("tokenizer.ggml.tokens", .strings(["a", "b", "ab", "<|begin_of_text|>", "<|eot_id|>"])),
        ("tokenizer.ggml.token_type", .int32s([1, 1, 1, 3, 3])),
        ("tokenizer.ggml.merges", .strings(["a b"])),
        ("tokenizer.ggml.bos_token_id", .uint32(3)),
        ("tokenizer.ggml.eos_token_id", .uint32(4)),
    ]

    static func replacing(_ key: String, with value: Value?) -> [(String, Value)] {
        var pairs = valid.filter { $0.0 != key }
        if let value { pairs.append((key, value)) }
        return pairs
    }

    static func tokenizer(_ pairs: [(String, Value)]) throws -> BPETokenizer? {
        try BPETokenizer(gguf: try GGUFFile(bytes: gguf(pairs), source: "t.gguf"))
    }

    @Test func validMetadataLoads() throws {
        let tokenizer = try #require(try Self.tokenizer(Self.valid))
        #expect(tokenizer.encode("ab<|eot_id|>ba") == [3, 2, 4, 1, 0])
        #expect(tokenizer.eosIDs == [4])
        #expect(tokenizer.specialTokenIDs == [3, 4])
        let noBOS = try #require(try Self.tokenizer(Self.replacing("tokenizer.ggml.add_bos_token", with: .bool(false))))
        #expect(noBOS.encode("ab") == [2])
    }

    @Test func noTokenizerKeysIsNil() throws {
        #expect(try Self.tokenizer([("general.architecture", .string("bitnet"))]) == nil)
    }

    static let bad: [(field: String, pairs: [(String, Value)])] = [
        ("tokenizer.ggml.model", replacing("tokenizer.ggml.model", with: nil)),
        ("tokenizer.ggml.model", replacing("tokenizer.ggml.model", with: .string("llama"))),
        ("tokenizer.ggml.model", replacing("tokenizer.ggml.model", with: .uint32(2))),
        ("tokenizer.ggml.pre", replacing("tokenizer.ggml.pre", with: nil)),
        ("tokenizer.ggml.pre", replacing("tokenizer.ggml.pre", with: .string("default"))),
        ("tokenizer.ggml.tokens", replacing("tokenizer.ggml.tokens", with: nil)),
        ("tokenizer.ggml.tokens", replacing("tokenizer.ggml.tokens", with: .int32s([1]))),
        ("tokenizer.ggml.tokens[4]", replacing("tokenizer.ggml.tokens", with: .strings(["a", "b", "ab", "<|begin_of_text|>", "a"]))),
        ("tokenizer.ggml.token_type", replacing("tokenizer.ggml.token_type", with: .int32s([1, 1]))),
        ("tokenizer.ggml.token_type[2]", replacing("tokenizer.ggml.token_type", with: .int32s([1, 1, 9, 3, 3]))),
        ("tokenizer.ggml.merges", replacing("tokenizer.ggml.merges", with: nil)),
        ("tokenizer.ggml.merges[0]", replacing("tokenizer.ggml.merges", with: .strings(["ab"]))),
        ("tokenizer.ggml.merges[1]", replacing("tokenizer.ggml.merges", with: .strings(["a b", "a x"]))),
        ("tokenizer.ggml.merges[0]", replacing("tokenizer.ggml.merges", with: .strings(["b a"]))),
        ("tokenizer.ggml.bos_token_id", replacing("tokenizer.ggml.bos_token_id", with: .uint32(5))),
        ("tokenizer.ggml.bos_token_id", replacing("tokenizer.ggml.bos_token_id", with: nil)),
        ("tokenizer.ggml.bos_token_id", replacing("tokenizer.ggml.bos_token_id", with: .string("3"))),
        ("tokenizer.ggml.eos_token_id", replacing("tokenizer.ggml.eos_token_id", with: .int32(-1))),
        ("tokenizer.ggml.add_bos_token", replacing("tokenizer.ggml.add_bos_token", with: .uint32(1))),
    ]

    @Test(arguments: bad)
    func badMetadataNamesTheKey(_ field: String, _ pairs: [(String, Value)]) throws {
        let file = try GGUFFile(bytes: Self.gguf(pairs), source: "bad.gguf")
        do {
            _ = try BPETokenizer(gguf: file)
            Issue.record("accepted")
        } catch {
            #expect(error.file == "bad.gguf")
            #expect(error.field == field, "\(error)")
        }
    }
}
