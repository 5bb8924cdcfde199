import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The bytes of a GGUF file: a read-only private memory map of the file (so a checkpoint
/// of a gigabyte costs only the pages a decoded tensor touches), or a copy of bytes given in
/// memory (tests and the fuzzer). Immutable once made, hence shareable across threads.
final class GGUFStorage: @unchecked Sendable {
    /// The file's bytes; valid for the life of this object.
    let bytes: UnsafeRawBufferPointer
    private let mapped: Bool

    /// A private copy of `bytes`.
    init(copying source: [UInt8]) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: source.count, alignment: 16)
        source.withUnsafeBytes { buffer.copyMemory(from: $0) }
        bytes = UnsafeRawBufferPointer(buffer)
        mapped = false
    }

    /// Maps the regular file at `path` read-only. An empty file is an empty buffer (mmap
    /// refuses a length of 0).
    init(mapping path: String) throws(GGUFError) {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw GGUFError(file: path, message: "cannot open: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw GGUFError(file: path, message: "cannot stat: \(String(cString: strerror(errno)))")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw GGUFError(file: path, message: "not a regular file")
        }
        let size = Int(info.st_size)
        guard size > 0 else {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            mapped = false
            return
        }
        let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let address, address != MAP_FAILED else {
            throw GGUFError(file: path, message: "cannot map \(size) bytes: \(String(cString: strerror(errno)))")
        }
        bytes = UnsafeRawBufferPointer(start: address, count: size)
        mapped = true
    }

    /// Tells the kernel that `range` of a mapped file is not needed for now: its pages leave
    /// the resident set (a read maps them in again). Decoding a model tensor by tensor then
    /// holds one tensor's pages at a time, not the whole file. No effect on a copy.
    func release(_ range: Range<Int>) {
        guard mapped, let base = bytes.baseAddress else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = (range.lowerBound + page - 1) / page * page   // whole pages inside the range
        let end = range.upperBound / page * page
        guard end > start else { return }
        _ = madvise(UnsafeMutableRawPointer(mutating: base + start), end - start, Int32(MADV_DONTNEED))
    }

    deinit {
        if mapped {
            munmap(UnsafeMutableRawPointer(mutating: bytes.baseAddress), bytes.count)
        } else {
            UnsafeMutableRawPointer(mutating: bytes.baseAddress)?.deallocate()
        }
    }
}
