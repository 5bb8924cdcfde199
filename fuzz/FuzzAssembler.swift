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

    checkRoundTrip(image)
    return 0
}
