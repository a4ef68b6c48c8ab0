import NN
import Tensor

/// How LoRA-SB turns the estimated first step `ΔW` of one target into its factors `B`, `R`,
/// `A`, with the paper's initialisation ablations (Table 4 and 5) as settings:
///
/// - `initBasis`: the truncated SVD of `ΔW` itself (`.update`, the method), or of a
///   Kaiming-uniform random matrix of `ΔW`'s shape (`.random`), rescaled to `ΔW`'s Frobenius
///   norm so that both start by moving `W` equally far and differ only in direction.
/// - `initNoise`: Gaussian noise added to `ΔW` before the SVD, with a standard deviation of
///   `initNoise` times `ΔW`'s root mean square (0: none): how exact the update must be.
/// - `initSplit`: `.orthonormal` puts the whole scale in `R` (`B = U_r`, `R = Σ_r`,
///   `A = V_rᵀ`, the method); `.scaled` puts it in `B` (`B = U_r Σ_r`, `R = I`, `A = V_rᵀ`).
///   Both start at the same `B R A`; they train differently because only `R` trains.
///
/// Random draws come from the target's own generator, in a fixed order (the random matrix or
/// the noise first, then the randomized SVD's test matrix), so a seed reproduces the factors.
public struct LoRASBFactorization: Sendable {
    public let rank: Int
    public let svdIterations: Int
    public let basis: AdapterSettings.InitBasis
    public let noise: Double
    public let split: AdapterSettings.InitSplit

    public init(settings: AdapterSettings) {
        rank = settings.rank
        svdIterations = settings.svdIterations
        basis = settings.initBasis
        noise = settings.initNoise
        split = settings.initSplit
    }

    /// The factors of one target, r wide whatever the layer's size, and the fraction of the
    /// decomposed matrix's ‖·‖²_F they keep.
    public struct Factors {
        public let b: Tensor
        public let r: Tensor
        public let a: Tensor
        public let energyKept: Double
    }

    /// The factors of `update` (ΔW). `update` may be overwritten (noise is added in place).
    public func factors(of update: Tensor, generator: inout SeededGenerator) throws -> Factors {
        let m = matrixToDecompose(update, generator: &generator)
        let total = Reductions.squaredNorm(m)
        let k = min(rank, m.rows, m.columns)
        let svd = try SVD.randomized(m, rank: k, powerIterations: svdIterations, generator: &generator)
        let energy = svd.singularValues.reduce(0.0) { $0 + Double($1) * Double($1) }
        let kept = total > 0 ? min(1, energy / total) : 0
        switch split {
        case .orthonormal:
            return Factors(b: RankPadding.columns(svd.u, to: rank),
                           r: RankPadding.diagonal(svd.singularValues, size: rank),
                           a: RankPadding.rows(svd.vt, to: rank), energyKept: kept)
        case .scaled:
            let b = svd.u.copy()
            for i in 0..<b.rows {
                let row = b.pointer + i * b.columns
                for j in 0..<k { row[j] *= svd.singularValues[j] }
            }
            return Factors(b: RankPadding.columns(b, to: rank),
                           r: RankPadding.diagonal([Float](repeating: 1, count: k), size: rank),
                           a: RankPadding.rows(svd.vt, to: rank), energyKept: kept)
        }
    }

    /// The matrix whose truncated SVD gives the factors: `update` (plus noise), or a random
    /// matrix of its shape and norm.
    public func matrixToDecompose(_ update: Tensor, generator: inout SeededGenerator) -> Tensor {
        switch basis {
        case .update:
            if noise > 0 {
                let sigma = Float(noise * Self.rootMeanSquare(update))
                let draw = Tensor(zeros: update.shape)
                generator.fillNormal(draw, mean: 0, standardDeviation: sigma)
                Elementwise.add(update, draw, into: update)
            }
            return update
        case .random:
            // PyTorch's default Linear initialisation (kaiming_uniform_ with a = √5):
            // U(−1/√fan_in, 1/√fan_in), fan_in = the layer's input features.
            let bound = Float(1 / Double(max(1, update.columns)).squareRoot())
            let random = Tensor(zeros: update.shape)
            generator.fillUniform(random, lower: -bound, upper: bound)
            let target = Reductions.squaredNorm(update).squareRoot()
            let own = Reductions.squaredNorm(random).squareRoot()
            if own > 0 { Elementwise.scale(random, by: Float(target / own), into: random) }
            return random
        }
    }

    /// `sqrt(‖x‖²_F / count)`.
    public static func rootMeanSquare(_ x: Tensor) -> Double {
        x.count == 0 ? 0 : (Reductions.squaredNorm(x) / Double(x.count)).squareRoot()
    }
}
