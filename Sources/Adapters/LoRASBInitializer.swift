import Foundation
import Models
import NN
import Tensor

/// The LoRA-SB initialisation (Ponkshe et al., 2025, §3–4 and the authors' public code):
///
/// 1. Choose `n` training samples: the first `n` of the training set shuffled with the run's
///    seed, as the authors' shuffling loader gives them (`initOrder: .file` takes the first `n`
///    in file order instead).
/// 2. Forward and backward of the whole model, adapters absent, over those samples; each
///    batch's loss is divided by its number of samples and the weight gradients `G` of every
///    targeted matrix are summed across batches.
/// 3. The first step of full fine-tuning with Adam is approximated as
///    `ΔW = −η_eff · sign(G)` (Adam's first update is `lr · g/|g|` element-wise), with
///    `η_eff = lr / (warmup_ratio · total_steps)`, the learning rate of the first warm-up step
///    (or the authors' step count, or a given value).
/// 4. A truncated SVD `ΔW ≈ U_r Σ_r V_rᵀ` (randomized, as the authors'
///    `svd_lowrank(q=r, niter=10)`) gives `B = U_r`, `R = Σ_r`, `A = V_rᵀ`
///    (`LoRASBFactorization`, which also holds the ablations of this step).
/// 5. `W` is left unchanged: the model starts at `W + B R A`, the best rank-r approximation of
///    the first full fine-tuning step already applied. Only `R` trains afterwards.
///
/// B and A come out orthonormal and the whole scale sits in R, so `η_eff` only scales R.
///
/// Steps 1–2 are the shared `GradientEstimate` (within `initMemoryBudget`, in several passes).
///
/// Memory: one gradient buffer per targeted matrix of the current group (the model's own
/// `Parameter` gradient), freed as soon as that target's SVD is done; no second copy of the
/// weights.
public struct LoRASBInitializer {
    public let settings: AdapterSettings

    public init(settings: AdapterSettings) {
        self.settings = settings
    }

    /// Steps 1–5 for `targets`: the adapters (not attached) and what was done. The model's
    /// parameters are left frozen.
    public func initialise(_ targets: [TargetableLinear], of model: TrainableModel,
                           context: InitializationContext) throws -> (adapters: [LoRAXSAdapter], report: InitializationReport) {
        let estimate = try GradientEstimate(settings: settings, context: context)
        let eta = try effectiveLearningRate(context)
        let (decomposed, summary) = try estimate.map(targets, of: model, seed: settings.seed) { _, g, generator in
            try factors(fromGradient: g, effectiveLearningRate: eta, generator: &generator)
        }
        let report = InitializationReport(
            summary, effectiveLearningRate: eta,
            energyKept: zip(targets, decomposed).map { ($0.modulePath, $1.kept) },
            decomposed: "rank-\(settings.rank) ΔW")
        return (decomposed.map(\.adapter), report)
    }

    /// The indices of the estimation samples among `count` training examples, in the order
    /// they are batched (`GradientEstimate.sampleIndices`).
    public func sampleIndices(among count: Int) -> [Int] {
        GradientEstimate.sampleIndices(among: count, settings: settings)
    }

    // MARK: step 3's η_eff

    func effectiveLearningRate(_ context: InitializationContext) throws -> Double {
        if case .fixed(let value) = context.learningRate { return value }
        guard let s = context.schedule else {
            throw AdapterError.initialisation("η_eff '\(context.learningRate)' needs the run's schedule")
        }
        switch context.learningRate {
        case .formula, .fixed:
            return Self.formulaLearningRate(learningRate: s.learningRate, warmupRatio: s.warmupRatio, totalSteps: s.totalSteps)
        case .authors:
            guard case .training(let count, _) = context.samples else {
                throw AdapterError.initialisation("the authors' η_eff needs the size of the training set")
            }
            return Self.authorsLearningRate(learningRate: s.learningRate, warmupRatio: s.warmupRatio,
                                            trainingExamples: count, epochs: s.epochs)
        }
    }

    /// `η_eff = lr / (warmup_ratio · total_steps)` (the paper's formula: the learning rate of
    /// the first step of a linear warm-up); `lr` itself when there is no warm-up.
    public static func formulaLearningRate(learningRate: Double, warmupRatio: Double,
                                           totalSteps: Int) -> Double {
        let warmupSteps = warmupRatio * Double(totalSteps)
        return warmupSteps >= 1 ? learningRate / warmupSteps : learningRate
    }

    /// The authors' code takes the step count from the gradient-estimation loader (batch size
    /// 3 over the whole training set, times the epochs), which makes η_eff smaller than the
    /// formula's; offered for comparison.
    public static func authorsLearningRate(learningRate: Double, warmupRatio: Double,
                                           trainingExamples: Int, epochs: Double) -> Double {
        let steps = Int((Double((trainingExamples + 2) / 3) * epochs).rounded(.up))
        return formulaLearningRate(learningRate: learningRate, warmupRatio: warmupRatio,
                                   totalSteps: max(1, steps))
    }

    // MARK: steps 3–4 for one target

    /// ΔW from a target's summed gradient `g` (overwritten), its rank-r factors, and the
    /// fraction of ‖ΔW‖² they keep.
    private func factors(fromGradient g: Tensor, effectiveLearningRate eta: Double,
                         generator: inout SeededGenerator) throws -> (adapter: LoRAXSAdapter, kept: Double) {
        let update = approximateFirstStep(g, effectiveLearningRate: eta)   // in place: the buffer becomes ΔW
        let f = try LoRASBFactorization(settings: settings).factors(of: update, generator: &generator)
        return (LoRAXSAdapter(b: f.b, r: f.r, a: f.a, scale: settings.scale), f.energyKept)
    }

    /// `−η_eff · sign(G)` (or `−η_eff · G` for the raw-gradient ablation), written over `G`.
    func approximateFirstStep(_ g: Tensor, effectiveLearningRate: Double) -> Tensor {
        let eta = Float(effectiveLearningRate)
        let p = g.pointer
        switch settings.initGradient {
        case .sign:
            Parallel.forEachChunk(g.count) { range in
                for i in range {
                    let v = p[i]
                    p[i] = v > 0 ? -eta : (v < 0 ? eta : 0)
                }
            }
        case .raw:
            Elementwise.scale(g, by: -eta, into: g)
        }
        return g
    }
}
