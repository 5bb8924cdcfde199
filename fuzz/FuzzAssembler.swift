// libFuzzer target: .nasm bytes -> Assembler, diagnostics rendering, and the
// assemble -> disassemble -> assemble round trip. Built by fuzz/build.sh into fuzz/bin/fuzz-asm.
import NMPAssembler
import NMPISA

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let result = Assembler.assemble(bytes: bytes, fileName: "fuzz.nasm")
    _ = result.renderedDiagnostics  // exercise the renderer (carets, UTF-8, tabs)

    // An image means no errors were reported, so hasErrors must be false and vice versa
    // for an image-less result.
    if result.image != nil && result.hasErrors { fatalError("image produced although errors were reported") }
    if result.image == nil && !result.hasErrors { fatalError("no image and no error:\n\(result.renderedDiagnostics)") }
    guard let image = result.image else { return 0 }

    let encoded = image.encoded()
    // The writer's bytes must read back to the same image.
    do {
        let decoded = try MicrocodeImage(decoding: encoded)
        guard decoded == image else { fatalError("decode(encode(image)) != image") }
    } catch {
        fatalError("assembled image does not decode: \(error)")
    }
    // Round trip through the disassembler. `.space 0x1000000` is a few bytes of source but
    // megabytes of `.byte` lines; skip those so that timeouts mean real slowness.
    let dataBytes = image.weightData.count + image.activationData.count + image.dramData.count
    guard dataBytes <= 256 * 1024 else { return 0 }
    let text = Disassembler.disassemble(image, name: "fuzz")
    let again = Assembler.assemble(source: text, fileName: "fuzz.dis.nasm")
    guard let image2 = again.image else {
        fatalError("disassembly does not assemble:\n\(again.renderedDiagnostics)\n--- text ---\n\(text)")
    }
    guard image2.encoded() == encoded else {
        fatalError("round trip changed the image\n--- disassembly ---\n\(text)")
    }
    return 0
}
