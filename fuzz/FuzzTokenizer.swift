// libFuzzer target: bytes -> BPETokenizer(tokenizerJSON:source:) (a Hugging Face
// tokenizer.json, Sources/NMPRuntime/Tokenizer/). The loader must never trap nor allocate
// more than the input justifies (run.sh sets -malloc_limit_mb=128); every error names the
// file, names its field (JSON path) unless the whole document is at fault, and is at most
// 1024 bytes. A tokenizer that loads encodes a fixed multilingual sample and the input
// itself read as UTF-8: every id is in the vocabulary, the BOS comes first exactly when
// it should, streaming the ids through TextStream gives decode(ids), and when every byte
// has a token and every special token's text is plain byte-level text, decode(encode(s))
// gives s back. Built by fuzz/build.sh into fuzz/bin/fuzz-tokenizer.
import NMPRuntime

/// Text with every class the pre-tokenizer tells apart: contractions, digit runs, runs of
/// spaces and line breaks, accents (combining too), CJK, emoji with joiners, specials.
let sample = "It's 1234567 WE'LL   see\r\n\n\t x  \u{A0}café cafe\u{301} 日本語 Привет 👨‍👩‍👧 <|eot_id|><s> ab"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let tokenizer: BPETokenizer
    do throws(TokenizerError) {
        tokenizer = try BPETokenizer(tokenizerJSON: bytes, source: "fuzz.json")
    } catch {
        let text = error.description
        let placed = !error.field.isEmpty || error.message.hasPrefix("malformed JSON") || error.message.hasPrefix("the document is")
        guard error.file == "fuzz.json", text.hasPrefix("fuzz.json: "), text.utf8.count <= 1024, placed else {
            fatalError("unhelpful error (\(text.utf8.count) bytes): \(String(text.unicodeScalars.prefix(300)))")
        }
        return 0
    }
    check(tokenizer, sample)
    check(tokenizer, String(decoding: bytes, as: UTF8.self))
    return 0
}

/// The promises of `encode`, `decode` and `TextStream` for one text.
func check(_ tokenizer: BPETokenizer, _ text: String) {
    let plain = tokenizer.encode(text, addSpecialTokens: false)
    let ids = tokenizer.encode(text)
    guard ids.allSatisfy({ (0..<tokenizer.vocabularySize).contains($0) }) else { fatalError("an id outside the vocabulary: \(ids)") }
    let bos = tokenizer.addsBOS ? tokenizer.bosID.map { [$0] } ?? [] : []
    guard ids == bos + plain else { fatalError("encode with special tokens is not BOS + encode without") }
    var stream = TextStream(tokenizer: tokenizer)
    let streamed = plain.map { stream.append($0) }.joined() + stream.finish()
    guard streamed == tokenizer.decode(plain) else { fatalError("TextStream gave \(streamed.debugDescription), decode \(tokenizer.decode(plain).debugDescription)") }
    // Round trip: BPE only makes tokens from byte tokens, so their bytes concatenate to the
    // text's, unless a byte has no token (it is dropped) or BPE makes a special token whose
    // text is not its byte-level reading (it decodes as its text, as in Hugging Face);
    // printable ASCII other than space reads as itself.
    let everyByte = byteLevelAlphabet.allSatisfy { tokenizer.id(of: $0) != nil }
    let plainSpecials = tokenizer.specialTokenIDs.allSatisfy {
        tokenizer.tokens[$0].unicodeScalars.allSatisfy { (0x21...0x7E).contains($0.value) }  // stand for themselves
    }
    if everyByte, plainSpecials, tokenizer.decode(plain) != text {
        fatalError("decode(encode(s)) != s for \(text.debugDescription): \(tokenizer.decode(plain).debugDescription)")
    }
}

/// The characters GPT-2's byte-level alphabet gives the bytes 0...255 (written out again
/// here rather than taken from the module: the target checks the module against it).
let byteLevelAlphabet: [String] = {
    func kept(_ b: UInt32) -> Bool { (0x21...0x7E).contains(b) || (0xA1...0xAC).contains(b) || (0xAE...0xFF).contains(b) }
    var next: UInt32 = 256
    return (0...255 as ClosedRange<UInt32>).map { byte in
        if kept(byte) { return String(Character(Unicode.Scalar(byte)!)) }
        defer { next += 1 }
        return String(Character(Unicode.Scalar(next)!))
    }
}()
