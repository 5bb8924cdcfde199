/// SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number generators",
/// OOPSLA 2014): a tiny seeded generator. nmp uses it wherever data must be random but
/// reproducible from a seed: the random ternary weights of `nmp model` and `nmp bench`,
/// and every piece of generated test data.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A trit -1, 0 or +1, each with probability close to 1/3.
    public mutating func nextTrit() -> Int8 { Int8(Int(next() % 3) - 1) }
}
