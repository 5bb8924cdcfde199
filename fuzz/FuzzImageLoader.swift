// libFuzzer target: .nmc bytes -> MicrocodeImage(decoding:) with the CRC check off, then
// decode every code word and check disassemble -> assemble reproduces the image.
// Built by fuzz/build.sh into fuzz/bin/fuzz-image.
import NMPAssembler
import NMPISA

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let image: MicrocodeImage
    do {
        image = try MicrocodeImage(decoding: bytes, verifyChecksum: false)
    } catch {
        _ = error.description  // the messages must not trap either
        return 0
    }
    // `MicrocodeImage.symbols` is documented as sorted (the writer sorts, the reader
    // rejects other orders); an unsorted table would make decode(encode(x)) != x.
    guard image.symbols == image.symbols.sorted(by: Symbol.canonicalOrder) else {
        fatalError("decoded symbols are not in canonical order")
    }
    for word in image.code {
        do {
            let instruction = try Instruction(decoding: word)
            guard instruction.word == word else { fatalError("encode(decode(word)) != word") }
        } catch {
            _ = error.description
        }
    }
    checkRoundTrip(image)
    return 0
}
