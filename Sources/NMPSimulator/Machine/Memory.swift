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

/// An SRAM's banking for the issue cycles of an access (ISA.md 6.2), with shifts in place
/// of the divisions when the bank width and count are powers of two (the usual case).
struct BankGeometry {
    let banks: Int, width: Int
    /// log2 of width, banks and banks * width; -1 unless both are powers of two.
    let widthShift: Int, banksShift: Int, lineShift: Int

    init(banks: Int, width: Int) {
        self.banks = banks
        self.width = width
        if banks.nonzeroBitCount == 1 && width.nonzeroBitCount == 1 {
            widthShift = width.trailingZeroBitCount
            banksShift = banks.trailingZeroBitCount
            lineShift = widthShift + banksShift
        } else {
            widthShift = -1; banksShift = -1; lineShift = -1
        }
    }

    /// The most words any one bank must deliver for `n` bytes at `address` (at least 1),
    /// and the ideal for n bytes: `Core.bankCycles`.
    @inline(__always)
    func cycles(_ address: Int, _ n: Int) -> (Int, Int) {
        guard n > 0 else { return (1, 1) }
        guard widthShift >= 0 else { return Core.bankCycles(address, n, banks: banks, width: width) }
        let words = ((address + n - 1) >> widthShift) - (address >> widthShift) + 1
        return ((words + banks - 1) >> banksShift, (n + (1 << lineShift) - 1) >> lineShift)
    }
}
