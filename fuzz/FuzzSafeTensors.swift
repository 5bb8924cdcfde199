// libFuzzer target: bytes -> SafeTensorsFile(bytes:path:) (the safetensors reader of
// Sources/NMPRuntime/Checkpoints/SafeTensors.swift). The reader must never trap; an error
// must name the file and be at most 1024 bytes, whatever names the header holds; an
// accepted file's tensors must lie within its data buffer, hold product(shape) * item size
// bytes, cover the buffer without overlaps, and read back (raw bytes, and floats for the
// float dtypes) with that many elements. Built by fuzz/build.sh into fuzz/bin/fuzz-safetensors.
import Foundation
import NMPRuntime

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Data(UnsafeBufferPointer(start: data, count: size))
    let file: SafeTensorsFile
    do {
        file = try SafeTensorsFile(bytes: bytes, path: "fuzz.safetensors")
    } catch {
        guard error.file == "fuzz.safetensors", error.description.utf8.count <= 1024 else {
            fatalError("unhelpful error (\(error.description.utf8.count) bytes): \(error.description.prefix(300))")
        }
        return 0
    }
    // The data buffer is what follows the 8-byte length and the header.
    let header = Int(bytes.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
    let dataSize = size - 8 - header
    var covered = 0
    for name in file.names {
        guard let info = try? file.info(name), let raw = try? file.data(name) else { fatalError("accepted tensor '\(name)' cannot be read") }
        guard info.offsets.lowerBound >= 0, info.offsets.upperBound <= dataSize,
              raw.count == info.offsets.count, raw.count == info.count * info.dtype.itemSize else {
            fatalError("tensor '\(name)' \(info.offsets) outside the \(dataSize)-byte buffer or of the wrong size")
        }
        if info.dtype.isFloat {
            guard (try? file.floats(name))?.count == info.count else { fatalError("tensor '\(name)': floats() count") }
        } else if info.dtype == .u8 {
            guard (try? file.uint8s(name))?.count == info.count else { fatalError("tensor '\(name)': uint8s() count") }
        }
        covered += raw.count
    }
    guard covered == dataSize else { fatalError("tensors cover \(covered) of \(dataSize) data bytes") }
    return 0
}
