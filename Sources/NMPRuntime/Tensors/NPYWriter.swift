extension NPY {
    /// The bytes of a `.npy` file holding `array`, the same bytes `np.save` writes for it
    /// (checked byte for byte against files numpy 2.4.6 wrote).
    ///
    /// The header is numpy's: `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`
    /// (keys sorted, C order), then spaces for in-place growth of the first axis (21 minus
    /// the digits of `shape[0]`; none for a scalar), then spaces and a final `'\n'` so the
    /// data starts at a multiple of 64 bytes (a full 64 when it would already be aligned,
    /// as numpy does). Version 1.0, or 2.0 when the header is longer than 65,535 bytes
    /// (only for thousands of axes); never 3.0, since the header is ASCII.
    ///
    /// - Precondition: `array.data.count == product(array.shape) * array.dtype.itemSize`.
    public static func encode(_ array: NPYArray) -> [UInt8] {
        let size = NPYArray.byteCount(shape: array.shape, itemSize: array.dtype.itemSize)
        precondition(size == array.data.count, "NPY.encode: shape \(array.shape) of \(array.dtype.name) does not match \(array.data.count) data bytes")
        var bytes = header(dtype: array.dtype, shape: array.shape)
        bytes.append(contentsOf: array.data)
        return bytes
    }

    /// Magic, version, header length and the padded header: everything before the data.
    static func header(dtype: NPYDType, shape: [Int]) -> [UInt8] {
        let shapeText: String
        switch shape.count {
        case 0: shapeText = "()"
        case 1: shapeText = "(\(shape[0]),)"
        default: shapeText = "(" + shape.map(String.init).joined(separator: ", ") + ")"
        }
        var dict = "{'descr': '\(dtype.rawValue)', 'fortran_order': False, 'shape': \(shapeText), }"
        // numpy's GROWTH_AXIS_MAX_DIGITS = 21: room to rewrite the header in place when
        // appending along the first axis.
        if let first = shape.first {
            dict += String(repeating: " ", count: max(0, 21 - String(first).count))
        }
        let text = Array(dict.utf8)
        let alignment = 64
        for (major, lengthSize) in [(UInt8(1), 2), (UInt8(2), 4)] {
            let unpadded = 8 + lengthSize + text.count + 1  // + the final '\n'
            let padding = alignment - unpadded % alignment
            let headerLength = text.count + 1 + padding
            if lengthSize == 2 && headerLength > Int(UInt16.max) { continue }
            var bytes = magic
            bytes.append(major)
            bytes.append(0)
            for i in 0..<lengthSize { bytes.append(UInt8(truncatingIfNeeded: headerLength >> (8 * i))) }
            bytes.append(contentsOf: text)
            bytes.append(contentsOf: repeatElement(0x20, count: padding))
            bytes.append(0x0A)
            return bytes
        }
        preconditionFailure("NPY.encode: header of \(text.count) bytes does not fit version 2.0")
    }
}
