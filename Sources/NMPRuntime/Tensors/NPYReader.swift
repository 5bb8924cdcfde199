/// Reading and writing NumPy `.npy` files (format versions 1.0, 2.0 and 3.0).
///
/// The layout (NEP 1 and numpy's `numpy/lib/_format_impl.py`, formerly `format.py`,
/// checked against numpy 2.4.6):
///
///     offset 0   6 bytes   magic "\x93NUMPY"
///     offset 6   1 byte    major version (1, 2 or 3)
///     offset 7   1 byte    minor version (0)
///     offset 8   2 bytes   HEADER_LEN, little-endian u16        (version 1.0)
///                4 bytes   HEADER_LEN, little-endian u32        (versions 2.0, 3.0)
///     then       HEADER_LEN bytes: a Python dict literal, latin-1 (1.0, 2.0) or UTF-8 (3.0),
///                e.g. {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
///                padded with spaces and ended by '\n' so the data starts at a multiple
///                of 64 (16 in files from numpy before 1.14; any offset is accepted)
///     then       product(shape) * itemsize bytes of array data, nothing after it
public enum NPY {
    /// The six bytes every `.npy` file starts with: `\x93NUMPY`.
    public static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]

    /// The array in the bytes of a `.npy` file.
    ///
    /// Accepts versions 1.0, 2.0 and 3.0; header keys in any order, either quote style,
    /// any spacing, with or without a trailing comma, Python 2's `3L` and `u'...'`; any
    /// header padding; dtypes `<f4`, `<f2`, `|i1` (also spelt `<i1`, `i1`, `=i1`, `>i1`:
    /// one byte has no order) and `<i4`; C-order data (and `fortran_order: True` when at
    /// most one axis is longer than 1, where the two orders are the same bytes).
    ///
    /// Stricter than numpy in three ways: multi-byte dtypes must say little-endian (`'<'`,
    /// not native `'='`), a key may not appear twice, and no bytes may follow the data.
    ///
    /// Throws, naming `source` and saying exactly what is wrong, for anything else: a
    /// missing magic, another version, a malformed header, other or big-endian dtypes,
    /// object and structured dtypes, Fortran order, negative, non-integer or overflowing
    /// shapes, a truncated file, trailing bytes after the data. Never traps, whatever the
    /// bytes.
    ///
    /// - Parameters:
    ///   - bytes: the whole file.
    ///   - source: the file's name, put in front of error messages.
    public static func read(_ bytes: [UInt8], source: String) throws(NPYError) -> NPYArray {
        func failure(_ message: String) -> NPYError { NPYError(source: source, message: message) }

        // Magic and version.
        guard bytes.count >= magic.count, Array(bytes[0..<magic.count]) == magic else {
            var message = "not a .npy file (no \\x93NUMPY magic)"
            if bytes.isEmpty {
                message += ": the file is empty"
            } else if bytes.starts(with: [0x50, 0x4B, 0x03, 0x04]) {
                message += ": this looks like a zip archive (a .npz holds one .npy per array; extract it)"
            } else if magic.starts(with: bytes) {
                message += ": the file ends after \(bytes.count) of the magic's 6 bytes"
            }
            throw failure(message)
        }
        guard bytes.count >= 8 else {
            throw failure("truncated: the file ends after the magic, before the two version bytes (it has \(bytes.count) bytes)")
        }
        let major = bytes[6], minor = bytes[7]
        guard (1...3).contains(major), minor == 0 else {
            throw failure("unsupported .npy version \(major).\(minor) (nmp reads 1.0, 2.0 and 3.0)")
        }

        // Header length and header.
        let lengthSize = major == 1 ? 2 : 4
        let headerStart = 8 + lengthSize
        guard bytes.count >= headerStart else {
            throw failure("truncated: the file ends inside the \(lengthSize)-byte header length field (it has \(bytes.count) bytes, the field ends at byte \(headerStart))")
        }
        var headerLength = 0
        for i in 0..<lengthSize { headerLength |= Int(bytes[8 + i]) << (8 * i) }
        let available = bytes.count - headerStart
        guard headerLength <= available else {
            throw failure("truncated: the header length field says \(headerLength) header bytes, but only \(available) follow it")
        }
        let headerBytes = Array(bytes[headerStart..<(headerStart + headerLength)])
        if major == 3, !isValidUTF8(headerBytes) {
            throw failure("malformed header: it is not valid UTF-8 (version 3.0 headers are UTF-8)")
        }
        guard headerBytes.contains(where: { !($0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D || $0 == 0x0C) }) else {
            throw failure("malformed header: it is empty (\(headerLength) bytes of padding, no dict)")
        }
        let literal: PyLiteral
        do throws(PyLiteralSyntaxError) {
            literal = try PyLiteralParser.parse(headerBytes, utf8: major == 3)
        } catch {
            throw failure("malformed header at byte \(headerStart + error.offset): \(error.message)")
        }

        // The dict: exactly 'descr', 'fortran_order', 'shape'.
        guard case .dict(let entries) = literal else {
            throw failure("malformed header: expected a dict like {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }, found \(literal.repr())")
        }
        var values: [String: PyLiteral] = [:]
        for entry in entries {
            guard case .string(let key) = entry.key, expectedKeys.contains(key) else {
                throw failure("malformed header: unexpected key \(entry.key.repr(limit: 40)) (a .npy header has exactly the keys 'descr', 'fortran_order' and 'shape')")
            }
            guard values[key] == nil else {
                throw failure("malformed header: the key '\(key)' appears twice")
            }
            values[key] = entry.value
        }
        for key in expectedKeys where values[key] == nil {
            throw failure("malformed header: the key '\(key)' is missing")
        }
        guard let descrValue = values["descr"], let orderValue = values["fortran_order"], let shapeValue = values["shape"] else {
            throw failure("malformed header: a key is missing")
        }

        // dtype.
        let dtype: NPYDType
        switch descrValue {
        case .string(let descr):
            switch NPY.dtype(descr: descr) {
            case .success(let t): dtype = t
            case .failure(let problem): throw failure(problem.message)
            }
        case .list:
            throw failure("structured dtypes are not supported ('descr' is a list of fields: \(descrValue.repr())): nmp reads plain float32, float16, int8, int32 arrays")
        default:
            throw failure("malformed header: 'descr' must be a dtype string like '<f4', found \(descrValue.repr())")
        }

        // fortran_order.
        guard case .bool(let fortranOrder) = orderValue else {
            throw failure("malformed header: 'fortran_order' must be True or False, found \(orderValue.repr())")
        }

        // shape.
        guard case .tuple(let entriesOfShape) = shapeValue else {
            throw failure("malformed header: 'shape' must be a tuple of integers like (3, 4), (5,) or (), found \(shapeValue.repr())")
        }
        guard entriesOfShape.count <= Self.maxDimensions else {
            throw failure("malformed header: the shape has \(entriesOfShape.count) axes; numpy arrays have at most \(Self.maxDimensions)")
        }
        var shape: [Int] = []
        for (axis, item) in entriesOfShape.enumerated() {
            guard case .integer(let text, let value) = item else {
                throw failure("malformed header: shape entry \(item.repr(limit: 30)) (axis \(axis)) is not an integer")
            }
            guard let extent = value else {
                throw failure("malformed header: shape entry \(text) (axis \(axis)) is too large")
            }
            guard extent >= 0 else {
                throw failure("malformed header: shape entry \(text) (axis \(axis)) is negative")
            }
            shape.append(extent)
        }
        guard let dataSize = NPYArray.byteCount(shape: shape, itemSize: dtype.itemSize) else {
            throw failure("shape \(shapeValue.repr()) is too large: its size in bytes (\(dtype.itemSize) per \(dtype.name)) overflows Int")
        }
        if fortranOrder, dataSize > 0, shape.filter({ $0 > 1 }).count > 1 {
            throw failure("Fortran-order arrays are not supported: save with np.ascontiguousarray")
        }

        // Data: exactly dataSize bytes.
        let dataStart = headerStart + headerLength
        let dataAvailable = bytes.count - dataStart
        let what = "\(shape.isEmpty ? "a scalar" : shape.map(String.init).joined(separator: " x ")) \(dtype.name) = \(dataSize) data bytes"
        guard dataAvailable >= dataSize else {
            throw failure("truncated: the header says \(what) but the file has \(dataAvailable)")
        }
        guard dataAvailable == dataSize else {
            throw failure("trailing data: \(dataAvailable - dataSize) bytes after the array (the header says \(what), the file has \(dataAvailable))")
        }
        return NPYArray(dtype: dtype, shape: shape, data: Array(bytes[dataStart...]))
    }

    static let expectedKeys = ["descr", "fortran_order", "shape"]

    /// numpy's NPY_MAXDIMS (64 since numpy 2.0; 32 before).
    static let maxDimensions = 64

    /// Why a dtype descriptor is not one nmp reads.
    struct DTypeProblem: Error {
        var message: String
    }

    /// The supported dtype a descriptor string names, or why it is not supported.
    static func dtype(descr: String) -> Result<NPYDType, DTypeProblem> {
        let quoted = PyLiteral.string(descr).repr(limit: 40)
        var body = Substring(descr)
        var order: Character?
        if let first = body.first, "<>|=".contains(first) {
            order = first
            body = body.dropFirst()
        }
        guard let kind = body.first else {
            return .failure(.init(message: "unsupported dtype \(quoted) (not a numpy dtype descriptor): nmp reads float32, float16, float64, int8, int32"))
        }
        let sizeText = body.dropFirst()
        if kind == "O" {
            return .failure(.init(message: "object arrays (dtype \(quoted)) are not supported: their data is a pickle of Python objects, not numbers"))
        }
        guard let name = typeName(kind: kind, size: sizeText) else {
            return .failure(.init(message: "unsupported dtype \(quoted) (not a numpy dtype descriptor): nmp reads float32, float16, float64, int8, int32"))
        }
        let supported: NPYDType?
        switch (kind, sizeText) {
        case ("f", "4"): supported = .float32
        case ("f", "2"): supported = .float16
        case ("f", "8"): supported = .float64
        case ("i", "1"): supported = .int8
        case ("i", "4"): supported = .int32
        default: supported = nil
        }
        guard let dtype = supported else {
            return .failure(.init(message: "unsupported dtype \(quoted) (\(name)): nmp reads float32, float16, float64, int8, int32"))
        }
        if dtype == .int8 { return .success(.int8) }  // one byte: the order mark means nothing
        switch order {
        case "<": return .success(dtype)
        case ">":
            return .failure(.init(message: "big-endian dtype \(quoted) (\(name)) is not supported: nmp reads little-endian data; save with a.astype('\(dtype.rawValue)')"))
        default:
            return .failure(.init(message: "dtype \(quoted) (\(name)) has no explicit byte order: nmp reads explicitly little-endian '\(dtype.rawValue)'"))
        }
    }

    /// numpy's name for a descriptor's kind and size (`"f", "8"` -> `"float64"`), or nil
    /// when they name no numpy type.
    static func typeName(kind: Character, size: Substring) -> String? {
        if kind == "M" || kind == "m" {
            guard size.hasPrefix("8") else { return nil }
            return kind == "M" ? "datetime64" : "timedelta64"
        }
        guard let n = Int(size), n >= 0, n <= 1 << 40, String(n) == size else { return nil }
        switch kind {
        case "b": return n == 1 ? "bool" : nil
        case "i": return [1, 2, 4, 8].contains(n) ? "int\(8 * n)" : nil
        case "u": return [1, 2, 4, 8].contains(n) ? "uint\(8 * n)" : nil
        case "f": return [2, 4, 8, 12, 16].contains(n) ? (n >= 12 ? "longdouble" : "float\(8 * n)") : nil
        case "c": return [8, 16, 24, 32].contains(n) ? (n >= 24 ? "clongdouble" : "complex\(8 * n)") : nil
        case "S", "a": return "bytes of length \(n)"
        case "U": return "unicode string of length \(n)"
        case "V": return "\(n) raw bytes"
        default: return nil
        }
    }

    static func isValidUTF8(_ bytes: [UInt8]) -> Bool {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue: continue
            case .emptyInput: return true
            case .error: return false
            }
        }
    }
}
