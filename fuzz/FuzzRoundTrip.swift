import NMPAssembler
import NMPISA

/// The invariant both fuzz targets check on every image they get: it encodes to bytes that
/// the full reader (CRC included) decodes back to the same image, and its disassembly
/// assembles to those same bytes. Traps (so libFuzzer records the input) when it does not.
func checkRoundTrip(_ image: MicrocodeImage) {
    let encoded = image.encoded()
    do {
        let decoded = try MicrocodeImage(decoding: encoded)
        guard decoded == image else { fatalError("decode(encode(image)) != image") }
    } catch {
        fatalError("encoded image does not decode: \(error)")
    }
    // `.space 0x1000000` is a few bytes of source but megabytes of `.byte` lines; skip
    // those so that timeouts mean real slowness.
    let dataBytes = image.weightData.count + image.activationData.count + image.dramData.count
    guard dataBytes <= 256 * 1024 else { return }
    let text = Disassembler.disassemble(image, name: "fuzz")
    let again = Assembler.assemble(source: text, fileName: "fuzz.dis.nasm")
    guard let image2 = again.image else {
        fatalError("disassembly does not assemble:\n\(again.renderedDiagnostics)\n--- text ---\n\(text)")
    }
    guard image2.encoded() == encoded else {
        fatalError("round trip changed the image\n--- disassembly ---\n\(text)")
    }
}
