import Foundation

/// A seeded, reproducible random number generator: xoshiro256** seeded through SplitMix64.
///
/// The same seed gives the same sequence on every run and machine: the bit generator is
/// integer arithmetic only, and every derived draw (uniform, normal, bounded integers, shuffles)
/// is computed here rather than by the standard library, whose algorithms may change between
/// releases. Normal draws also use the C library's `log`, which glibc computes
/// to within an ulp, a difference that almost never survives rounding to fp32.
///
/// It is a value type: a copy continues from the same position (and so repeats the same
/// values); use `fork()` for an independent stream.
public struct SeededGenerator: RandomNumberGenerator, Sendable, Equatable, Codable {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64
    /// The second value of the last Box-Muller pair, handed out by the next `normal()`.
    private var spareNormal: Double?

    /// A generator whose whole sequence is determined by `seed`.
    public init(seed: UInt64) {
        var mixer = SplitMix64(state: seed)
        s0 = mixer.next(); s1 = mixer.next(); s2 = mixer.next(); s3 = mixer.next()
        if s0 | s1 | s2 | s3 == 0 { s0 = 0x9E37_79B9_7F4A_7C15 }  // the one state xoshiro cannot leave
        spareNormal = nil
    }

    /// The complete state, for a checkpoint: the four xoshiro256** words, plus the bit pattern
    /// of a pending Box-Muller value when there is one.
    public var state: [UInt64] {
        [s0, s1, s2, s3] + (spareNormal.map { [$0.bitPattern] } ?? [])
    }

    /// A generator continuing exactly from a saved `state`. Throws for a state that is not four
    /// (or five) words or whose generator words are all zero (xoshiro's one fixed point, which
    /// only a corrupted checkpoint can hold).
    public init(state: [UInt64]) throws {
        guard state.count == 4 || state.count == 5, state.prefix(4).contains(where: { $0 != 0 }) else {
            throw SeededGeneratorStateError()
        }
        (s0, s1, s2, s3) = (state[0], state[1], state[2], state[3])
        spareNormal = state.count == 5 ? Double(bitPattern: state[4]) : nil
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        try self.init(state: c.decode([UInt64].self))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(state)
    }

    /// A generator at a raw xoshiro256** state (for checking against published sequences).
    init(state: (UInt64, UInt64, UInt64, UInt64)) {
        (s0, s1, s2, s3) = state
        spareNormal = nil
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        let result = rotateLeft(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotateLeft(s3, 45)
        return result
    }

    /// Uniform in [0, 1) with 24 random bits (every representable multiple of 2⁻²⁴).
    public mutating func nextFloat() -> Float {
        Float(next() >> 40) * 0x1p-24
    }

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func nextDouble() -> Double {
        Double(next() >> 11) * 0x1p-53
    }

    /// Uniform in [lower, upper).
    public mutating func uniform(_ lower: Float, _ upper: Float) -> Float {
        lower + (upper - lower) * nextFloat()
    }

    /// Standard normal (mean 0, variance 1) by Marsaglia's polar form of the Box-Muller
    /// transform, in fp64: a point uniform in the unit disc gives two independent normals with
    /// one logarithm and no trigonometry.
    public mutating func normal() -> Double {
        if let spare = spareNormal {
            spareNormal = nil
            return spare
        }
        while true {
            let u = 2 * nextDouble() - 1, v = 2 * nextDouble() - 1
            let s = u * u + v * v
            // Accepted with probability π/4; s = 0 would make the logarithm infinite.
            if s >= 1 || s == 0 { continue }
            let factor = (-2 * log(s) / s).squareRoot()
            spareNormal = v * factor
            return u * factor
        }
    }

    /// Normal with the given mean and standard deviation.
    public mutating func normal(mean: Float, standardDeviation: Float) -> Float {
        mean + standardDeviation * Float(normal())
    }

    /// Uniform integer in `0..<bound` without modulo bias (Lemire's multiply-and-reject).
    public mutating func nextInt(below bound: Int) -> Int {
        precondition(bound > 0, "nextInt(below:) needs a positive bound, got \(bound)")
        let b = UInt64(bound)
        var m = next().multipliedFullWidth(by: b)
        if m.low < b {
            let threshold = (0 &- b) % b
            while m.low < threshold { m = next().multipliedFullWidth(by: b) }
        }
        return Int(m.high)
    }

    /// Shuffles `elements` in place (Fisher-Yates), e.g. the order of training examples.
    public mutating func shuffle<Element>(_ elements: inout [Element]) {
        var i = elements.count - 1
        while i > 0 {
            let j = nextInt(below: i + 1)
            if i != j { elements.swapAt(i, j) }
            i -= 1
        }
    }

    /// A random permutation of `0..<count`.
    public mutating func permutation(_ count: Int) -> [Int] {
        var indices = Array(0..<max(0, count))
        shuffle(&indices)
        return indices
    }

    /// A new generator on an independent stream, seeded from this one (advances this one by
    /// one draw). Used to give each block of a parallel fill its own reproducible stream.
    public mutating func fork() -> SeededGenerator {
        SeededGenerator(seed: next())
    }

    @inline(__always)
    private func rotateLeft(_ x: UInt64, _ k: UInt64) -> UInt64 {
        (x << k) | (x >> (64 - k))
    }
}

/// SplitMix64 (Steele, Lea, Flood): turns any 64-bit seed, even 0 or 1, into well-mixed state.
public struct SplitMix64: Sendable {
    public var state: UInt64

    public init(state: UInt64) { self.state = state }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A saved generator state that cannot be used.
public struct SeededGeneratorStateError: Error, CustomStringConvertible {
    public var description: String { "random generator state must be four words (five with a pending normal), not all zero" }
}
