// libFuzzer target: bytes -> NPY.read (a .npy file). It must never trap the host; an array it
// returns must have exactly product(shape) * itemSize data bytes, its element accessors must
// give `count` elements, and NPY.encode must write bytes that read back to an equal array.
// Built by fuzz/build.sh into fuzz/bin/fuzz-npy.
import NMPRuntime

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let array: NPYArray
    do {
        array = try NPY.read(bytes, source: "fuzz.npy")
    } catch {
        _ = error.description  // the message must not trap either
        return 0
    }

    // Element count: the product of the shape (1 for a scalar), without overflow.
    var elements = 1
    for extent in array.shape {
        guard extent >= 0 else { fatalError("negative extent in accepted shape \(array.shape)") }
        let (product, overflow) = elements.multipliedReportingOverflow(by: extent)
        guard !overflow else { fatalError("accepted shape \(array.shape) overflows Int") }
        elements = product
    }
    let (expectedBytes, overflow) = elements.multipliedReportingOverflow(by: array.dtype.itemSize)
    guard !overflow, array.data.count == expectedBytes else {
        fatalError("shape \(array.shape) of \(array.dtype.name): \(array.data.count) data bytes")
    }
    guard array.count == elements else { fatalError("count \(array.count) != product(shape) \(elements)") }

    // Accessors: every dtype converts to floats; the typed ones answer exactly for their dtype.
    guard array.floats().count == elements else { fatalError("floats() has the wrong count") }
    guard (array.int8s()?.count ?? -1) == (array.dtype == .int8 ? elements : -1),
          (array.int32s()?.count ?? -1) == (array.dtype == .int32 ? elements : -1),
          (array.float16BitPatterns()?.count ?? -1) == (array.dtype == .float16 ? elements : -1) else {
        fatalError("a typed accessor disagrees with dtype \(array.dtype.name)")
    }

    // Write and read back.
    let encoded = NPY.encode(array)
    do {
        let again = try NPY.read(encoded, source: "fuzz.encoded.npy")
        guard again == array else { fatalError("read(encode(array)) != array for shape \(array.shape) \(array.dtype.name)") }
    } catch {
        fatalError("NPY.encode wrote bytes NPY.read rejects: \(error)")
    }
    return 0
}
