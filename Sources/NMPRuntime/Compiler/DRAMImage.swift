import NMPSimulator

/// Little-endian tensors in a DRAM image and read back from a simulator's DRAM.
enum DRAMImage {
    static func appendFloats(_ values: [Float], to bytes: inout [UInt8]) {
        bytes.reserveCapacity(bytes.count + 4 * values.count)
        for value in values { appendWord(value.bitPattern, to: &bytes) }
    }

    static func appendWord(_ bits: UInt32, to bytes: inout [UInt8]) {
        for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: bits >> UInt32(shift))) }
    }

    static func appendHalves(_ values: [UInt16], to bytes: inout [UInt8]) {
        bytes.reserveCapacity(bytes.count + 2 * values.count)
        for value in values {
            bytes.append(UInt8(truncatingIfNeeded: value))
            bytes.append(UInt8(truncatingIfNeeded: value >> 8))
        }
    }

    /// Pads with zeros up to `address`.
    static func pad(_ bytes: inout [UInt8], to address: Int) {
        if bytes.count < address { bytes += [UInt8](repeating: 0, count: address - bytes.count) }
    }

    /// `count` 32-bit words at `address` of the simulator's DRAM.
    static func words(_ simulator: Simulator, at address: Int, count: Int) -> [UInt32]? {
        guard let raw = simulator.read(.dram, at: address, count: 4 * count) else { return nil }
        return (0..<count).map { i in
            UInt32(raw[4 * i]) | UInt32(raw[4 * i + 1]) << 8 | UInt32(raw[4 * i + 2]) << 16 | UInt32(raw[4 * i + 3]) << 24
        }
    }
}

/// Where a compiler writes DRAM contents: an image's data array (`DRAMArray`), or a
/// simulator's DRAM directly (`SimulatorDRAM`: a model of a gigabyte is not copied twice).
protocol DRAMWriter {
    /// Writes `bytes` at `address`.
    mutating func write(_ bytes: [UInt8], at address: Int)
    /// Writes 16-bit patterns (bf16 or fp16), little-endian, at `address`.
    mutating func write(halves values: [UInt16], at address: Int)
}

extension DRAMWriter {
    /// float32 values, little-endian.
    mutating func write(floats values: [Float], at address: Int) {
        var bytes: [UInt8] = []
        DRAMImage.appendFloats(values, to: &bytes)
        write(bytes, at: address)
    }

    /// 16-bit patterns (bf16 or fp16), little-endian.
    mutating func write(halves values: [UInt16], at address: Int) {
        var bytes: [UInt8] = []
        DRAMImage.appendHalves(values, to: &bytes)
        write(bytes, at: address)
    }
}

/// A DRAM image's data: bytes from address 0, zero-padded up to each write.
struct DRAMArray: DRAMWriter {
    var bytes: [UInt8] = []

    mutating func write(_ data: [UInt8], at address: Int) {
        DRAMImage.pad(&bytes, to: address + data.count)
        bytes.replaceSubrange(address ..< address + data.count, with: data)
    }
}

/// A simulator's DRAM, written by the host before a run.
struct SimulatorDRAM: DRAMWriter {
    let simulator: Simulator

    mutating func write(_ data: [UInt8], at address: Int) {
        data.withUnsafeBytes { write($0, at: address) }
    }

    #if _endian(little)
    /// 16-bit values straight from their array (the host is little-endian like DRAM): a
    /// table of hundreds of megabytes is not copied into a byte array first.
    mutating func write(halves values: [UInt16], at address: Int) {
        values.withUnsafeBytes { write($0, at: address) }
    }
    #endif

    private func write(_ buffer: UnsafeRawBufferPointer, at address: Int) {
        // The layout was checked against the DRAM's size, so a write outside is a bug.
        let written = simulator.write(.dram, at: address, from: buffer)
        precondition(written, "a host write of \(buffer.count) bytes at \(address) is outside DRAM")
    }
}
