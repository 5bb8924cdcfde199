/// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), as zlib and PNG compute it.
public enum CRC32 {
    private static let table: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    /// The checksum of `bytes`.
    public static func checksum<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
        var state = State()
        state.update(bytes)
        return state.value
    }

    /// A checksum computed over several pieces in turn.
    public struct State {
        private var crc: UInt32 = 0xFFFF_FFFF
        public init() {}

        public mutating func update<C: Collection>(_ bytes: C) where C.Element == UInt8 {
            for byte in bytes { crc = CRC32.table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        }

        /// The checksum of everything so far.
        public var value: UInt32 { crc ^ 0xFFFF_FFFF }
    }
}
