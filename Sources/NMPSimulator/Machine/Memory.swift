import Foundation

/// One byte-addressed memory of the machine: a zero-filled buffer owned by the simulator.
///
/// Allocated with `calloc`, so a large DRAM costs host memory only for the pages a program
/// touches.
final class Memory {
    let size: Int
    let bytes: UnsafeMutablePointer<UInt8>

    /// A zeroed memory of `size` bytes, or nil if the host cannot provide it.
    init?(size: Int) {
        guard let raw = calloc(max(size, 1), 1) else { return nil }
        self.size = size
        self.bytes = raw.assumingMemoryBound(to: UInt8.self)
    }

    deinit { free(bytes) }

    /// Whether `count` bytes at `address` lie inside (computed without overflow).
    @inline(__always)
    func contains(_ address: Int, _ count: Int) -> Bool {
        address >= 0 && count >= 0 && address <= size && count <= size - address
    }
}
