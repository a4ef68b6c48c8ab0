/// Filling tensors with random values: weight initialisation and Gaussian test matrices.
///
/// A fill draws one value from the generator to seed the fill's own stream, cuts the tensor
/// into fixed blocks of 65,536 elements and gives block `b` the generator seeded by
/// (stream seed, `b`). Blocks are filled in parallel, yet the values depend only on the
/// generator's state and the tensor's size, never on the number of threads.
extension SeededGenerator {
    /// Fills `tensor` with values uniform in [lower, upper).
    public mutating func fillUniform(_ tensor: Tensor, lower: Float, upper: Float) {
        fillBlocks(tensor) { block, generator in
            for i in block.indices { block[i] = generator.uniform(lower, upper) }
        }
    }

    /// Fills `tensor` with normal values of the given mean and standard deviation.
    public mutating func fillNormal(_ tensor: Tensor, mean: Float = 0, standardDeviation: Float = 1) {
        fillBlocks(tensor) { block, generator in
            for i in block.indices {
                block[i] = generator.normal(mean: mean, standardDeviation: standardDeviation)
            }
        }
    }

    /// PyTorch's `nn.init.kaiming_uniform_(w, a)` with its default fan-in mode and
    /// leaky-ReLU gain: uniform in [−bound, bound] with
    /// `bound = sqrt(3) · sqrt(2 / (1 + a²)) / sqrt(fanIn)`.
    ///
    /// `a = sqrt(5)` (the default here, and what `nn.Linear` and LoRA's `A` use) gives
    /// `bound = 1 / sqrt(fanIn)`. `fanIn` defaults to the tensor's last dimension, which is the
    /// input size of a `[out, in]` weight. Returns the bound used.
    @discardableResult
    public mutating func kaimingUniform(_ tensor: Tensor, fanIn: Int? = nil,
                                        a: Double = 5.0.squareRoot()) -> Float {
        let bound = SeededGenerator.kaimingUniformBound(fanIn: fanIn ?? tensor.columns, a: a)
        fillUniform(tensor, lower: -bound, upper: bound)
        return bound
    }

    /// The bound of `kaimingUniform` for a fan-in and negative slope `a`.
    public static func kaimingUniformBound(fanIn: Int, a: Double = 5.0.squareRoot()) -> Float {
        precondition(fanIn > 0, "Kaiming initialisation needs a positive fan-in, got \(fanIn)")
        let gain = (2 / (1 + a * a)).squareRoot()
        return Float(3.0.squareRoot() * gain / Double(fanIn).squareRoot())
    }

    static let fillBlockSize = 65_536

    private mutating func fillBlocks(
        _ tensor: Tensor,
        _ body: (UnsafeMutableBufferPointer<Float>, inout SeededGenerator) -> Void
    ) {
        let streamSeed = next()
        let count = tensor.count, p = tensor.pointer
        let blocks = (count + Self.fillBlockSize - 1) / Self.fillBlockSize
        // Generating a value costs ~10-20 ns, so a block is worth a thread on its own.
        Parallel.forEachChunk(blocks, minChunk: 1) { range in
            for b in range {
                let lo = b * Self.fillBlockSize, hi = min(count, lo + Self.fillBlockSize)
                var mixer = SplitMix64(state: streamSeed ^ (UInt64(b) &* 0xD1B5_4A32_D192_ED03))
                var generator = SeededGenerator(seed: mixer.next())
                body(UnsafeMutableBufferPointer(start: p + lo, count: hi - lo), &generator)
            }
        }
    }
}
