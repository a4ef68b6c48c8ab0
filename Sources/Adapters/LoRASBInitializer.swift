import Distributed
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
/// Memory: one gradient buffer per targeted matrix (the model's own `Parameter` gradient),
/// freed as soon as that target's SVD is done; no second copy of the weights.
public struct LoRASBInitializer {
    public let settings: AdapterSettings

    public init(settings: AdapterSettings) {
        self.settings = settings
    }

    /// Steps 1–5 for `targets`: the adapters (not attached) and what was done. The model's
    /// parameters are left frozen.
    public func initialise(_ targets: [TargetableLinear], of model: TrainableModel,
                           context: InitializationContext) throws -> (adapters: [LoRAXSAdapter], report: InitializationReport) {
        let started = Date()
        let batches = try gradientBatches(context.samples)
        let eta = try effectiveLearningRate(context)
        model.freezeAllParameters()
        let weights = targets.map(\.linear.weight)
        // Gradients are measured, never applied: W stays fixed, so with bf16 precision the
        // products (its gradient included) keep using the bf16 copies. Held fixed first, so that
        // a packed weight stays packed when it becomes trainable.
        for w in weights { w.isHeldFixed = true; w.isTrainable = true }
        defer { for w in weights { w.isTrainable = false; w.isHeldFixed = false } }   // frees the gradient buffers
        let (samples, meanLoss) = try sumGradients(of: weights, over: batches, model: model,
                                                   communicator: context.communicator)
        let gradientSeconds = Date().timeIntervalSince(started)

        let svdStarted = Date()
        let decomposed = try ConcurrentTargets.map(targets.count, seed: settings.seed) { i, generator in
            try factors(of: targets[i], effectiveLearningRate: eta, generator: &generator)
        }
        let report = InitializationReport(
            samples: samples, batches: batches.count, meanLoss: meanLoss, effectiveLearningRate: eta,
            gradientSeconds: gradientSeconds, svdSeconds: Date().timeIntervalSince(svdStarted),
            energyKept: zip(targets, decomposed).map { ($0.modulePath, $1.kept) })
        return (decomposed.map(\.adapter), report)
    }

    // MARK: step 1: the samples

    /// The indices of the estimation samples among `count` training examples, in the order
    /// they are batched.
    public func sampleIndices(among count: Int) -> [Int] {
        let n = min(settings.initSamples, count)
        switch settings.initOrder {
        case .shuffled:
            var generator = SeededGenerator(seed: settings.seed)
            return Array(generator.permutation(count).prefix(n))
        case .file:
            return Array(0..<n)
        }
    }

    func gradientBatches(_ samples: InitializationContext.Samples) throws -> [TrainingBatch] {
        let batches: [TrainingBatch]
        switch samples {
        case .batches(let given): batches = given
        case .training(let count, let batch): batches = try batch(sampleIndices(among: count))
        }
        guard !batches.isEmpty else {
            throw AdapterError.initialisation("no training samples to estimate the gradient from")
        }
        return batches
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

    // MARK: step 2: the summed gradients

    /// Leaves `Σ_b ∇(loss_b / n_b)` in the gradient buffers of `weights` (the only trainable
    /// parameters); returns the number of samples and the mean batch loss. The processes of
    /// `communicator` each sum a contiguous share of the batches, then all-reduce the sums.
    func sumGradients(of weights: [Parameter], over batches: [TrainingBatch], model: TrainableModel,
                      communicator: any Communicator = SingleProcess()) throws -> (samples: Int, meanLoss: Double) {
        // The buffers hold the running sum; scaling them by n_b before batch b's backward and
        // by 1/n_b after adds exactly ∇loss_b / n_b.
        var samples = 0
        var lossSum = 0.0
        let share = communicator.share(of: batches.count)
        for (i, batch) in zip(share, batches[share]) {
            let n = Float(batch.sampleCount)
            if i > share.lowerBound { for w in weights { scale(w.gradient, by: n) } }
            let loss = try model.loss(batch, backward: true)
            guard loss.isFinite else {
                throw AdapterError.initialisation("the loss of gradient-estimation batch \(i + 1) is \(loss)")
            }
            for w in weights { scale(w.gradient, by: 1 / n) }
            samples += batch.sampleCount
            lossSum += Double(loss)
        }
        if communicator.isDistributed {
            var reducer = BucketedAllReduce(communicator)
            try reducer.sum(weights.map { $0.gradientForAccumulation() })
            let sums = try communicator.allReduceSum([Double(samples), lossSum])
            (samples, lossSum) = (Int(sums[0]), sums[1])
        }
        return (samples, lossSum / Double(batches.count))
    }

    // MARK: steps 3–4 for one target

    /// ΔW of `target` from its summed gradient, its rank-r factors, and the fraction of ‖ΔW‖²
    /// they keep. Releases the gradient buffer once decomposed.
    private func factors(of target: TargetableLinear, effectiveLearningRate eta: Double,
                         generator: inout SeededGenerator) throws -> (adapter: LoRAXSAdapter, kept: Double) {
        let w = target.linear.weight
        defer { w.isTrainable = false }   // ΔW is no longer needed: release it before the next target
        guard let g = w.gradient else {
            throw AdapterError.initialisation("\(target.modulePath) received no gradient")
        }
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

    private func scale(_ t: Tensor?, by factor: Float) {
        guard let t, factor != 1 else { return }
        Elementwise.scale(t, by: factor, into: t)
    }
}

/// What the LoRA-SB initialisation did, for the log.
public struct InitializationReport: Sendable {
    public let samples: Int
    public let batches: Int
    public let meanLoss: Double
    public let effectiveLearningRate: Double
    public let gradientSeconds: Double
    public let svdSeconds: Double
    /// Per target: the fraction of ‖ΔW‖²_F the rank-r approximation keeps.
    public let energyKept: [(module: String, fraction: Double)]

    public var meanEnergyKept: Double {
        energyKept.isEmpty ? 0 : energyKept.reduce(0) { $0 + $1.fraction } / Double(energyKept.count)
    }
}
