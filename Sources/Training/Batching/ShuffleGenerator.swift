/// The seeded random number generator that orders training examples: xoshiro256** seeded through
/// SplitMix64, with its own Fisher–Yates shuffle and bounded integers.
///
/// Everything here is specified bit for bit (the standard library's `shuffle(using:)` is not
/// promised to stay the same across releases), and the whole state is four integers, saved in a
/// checkpoint so a resumed run sees the very same batches. For a given seed it produces the same
/// numbers, bounded integers and shuffles as Tensor's `SeededGenerator` (same algorithms), whose
/// state is not exposed for saving.
public struct ShuffleGenerator: RandomNumberGenerator, Equatable, Sendable, Codable {
    /// The generator's complete state.
    public private(set) var state: [UInt64]

    /// A generator seeded from `seed` (SplitMix64 expands it to the 256-bit state).
    public init(seed: UInt64) {
        var s = seed
        func splitMix() -> UInt64 {
            s &+= 0x9E37_79B9_7F4A_7C15
            var z = s
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = [splitMix(), splitMix(), splitMix(), splitMix()]
    }

    /// A generator continuing from a saved `state`. Throws for a state that is not four words or
    /// is all zeros (xoshiro's one fixed point, which only a corrupted checkpoint can hold).
    public init(state: [UInt64]) throws {
        guard state.count == 4, state.contains(where: { $0 != 0 }) else {
            throw ShuffleGeneratorStateError()
        }
        self.state = state
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        try self.init(state: c.decode([UInt64].self))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(state)
    }

    /// The next 64 random bits (xoshiro256**).
    public mutating func next() -> UInt64 {
        let result = rotate(state[1] &* 5, 7) &* 9
        let t = state[1] << 17
        state[2] ^= state[0]
        state[3] ^= state[1]
        state[1] ^= state[2]
        state[0] ^= state[3]
        state[2] ^= t
        state[3] = rotate(state[3], 45)
        return result
    }

    /// A uniform integer in `0..<bound` (Lemire's multiply-and-reject method, no modulo bias).
    public mutating func nextIndex(below bound: Int) -> Int {
        precondition(bound > 0, "bound must be positive")
        let b = UInt64(bound)
        var product = next().multipliedFullWidth(by: b)
        if product.low < b {
            let threshold = (0 &- b) % b
            while product.low < threshold { product = next().multipliedFullWidth(by: b) }
        }
        return Int(product.high)
    }

    /// Shuffles `values` in place (Fisher–Yates, from the back).
    public mutating func shuffle<T>(_ values: inout [T]) {
        var i = values.count - 1
        while i > 0 {
            let j = nextIndex(below: i + 1)
            values.swapAt(i, j)
            i -= 1
        }
    }

    private func rotate(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
}

/// A saved generator state that cannot be used.
public struct ShuffleGeneratorStateError: Error, CustomStringConvertible {
    public var description: String { "shuffle generator state must be four words, not all zero" }
}
