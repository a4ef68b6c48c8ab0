import Foundation
import Models
import NN
import Tensor

/// The LoRA-SB initialisation (Ponkshe et al., 2025, §3–4 and the authors' public code):
///
/// 1. Forward and backward of the whole model, adapters absent, over the first `n` training
///    samples; each batch's loss is divided by its number of samples and the weight gradients
///    `G` of every targeted matrix are summed across batches.
/// 2. The first step of full fine-tuning with Adam is approximated as
///    `ΔW = −η_eff · sign(G)` (Adam's first update is `lr · g/|g|` element-wise), with
///    `η_eff = lr / (warmup_ratio · total_steps)`, the learning rate of the first warm-up step.
/// 3. A truncated SVD `ΔW ≈ U_r Σ_r V_rᵀ` (randomized, as the authors'
///    `svd_lowrank(q=r, niter=10)`) gives `B = U_r`, `R = Σ_r`, `A = V_rᵀ`.
/// 4. `W` is left unchanged: the model starts at `W + B R A`, the best rank-r approximation of
///    the first full fine-tuning step already applied. Only `R` trains afterwards.
///
/// B and A come out orthonormal and the whole scale sits in R, so `η_eff` only scales R.
///
/// Memory: one gradient buffer per targeted matrix (the model's own `Parameter` gradient),
/// freed as soon as that target's SVD is done; no second copy of the weights.
public struct LoRASBInitializer {
    public let settings: AdapterSettings
    /// η_eff of step 2.
    public let effectiveLearningRate: Double

    public init(settings: AdapterSettings, effectiveLearningRate: Double) {
        self.settings = settings
        self.effectiveLearningRate = effectiveLearningRate
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

    /// Estimates ΔW for `targets` from `batches`, attaches a LoRA-SB adapter to each and
    /// returns what it did. The model's parameters are left frozen.
    public func attach(to model: TrainableModel, targets: [TargetableLinear],
                       batches: [TrainingBatch]) throws -> (entries: [AdapterSet.Entry], report: InitializationReport) {
        guard !batches.isEmpty else {
            throw AdapterError.initialisation("no training samples to estimate the gradient from")
        }
        let started = Date()
        model.freezeAllParameters()
        let weights = targets.map(\.linear.weight)
        // Gradients are measured, never applied: W stays fixed, so with bf16 precision the
        // products (its gradient included) keep using the bf16 copies.
        // Held fixed first, so that a packed weight stays packed when it becomes trainable.
        for w in weights { w.isHeldFixed = true; w.isTrainable = true }
        defer { for w in weights { w.isTrainable = false; w.isHeldFixed = false } }   // frees the gradient buffers

        // Σ_b ∇(loss_b / n_b): the buffers hold the running sum; scaling them by n_b before
        // batch b's backward and by 1/n_b after adds exactly ∇loss_b / n_b.
        var samples = 0
        var lossSum = 0.0
        for (i, batch) in batches.enumerated() {
            let n = Float(batch.sampleCount)
            if i > 0 { for w in weights { scale(w.gradient, by: n) } }
            let loss = try model.loss(batch, backward: true)
            guard loss.isFinite else {
                throw AdapterError.initialisation("the loss of gradient-estimation batch \(i + 1) is \(loss)")
            }
            for w in weights { scale(w.gradient, by: 1 / n) }
            samples += batch.sampleCount
            lossSum += Double(loss)
        }
        let gradientSeconds = Date().timeIntervalSince(started)

        // One random stream per target, forked in target order, so the factors do not depend
        // on which core decomposes which target. The targets are decomposed concurrently, each
        // on one BLAS thread: the products of a rank-r randomized SVD are too narrow to keep
        // two BLAS threads busy, and its QR steps run on one thread anyway.
        var generator = SeededGenerator(seed: settings.seed)
        let generators = targets.map { _ in generator.fork() }
        var results = [Result<(adapter: LoRAXSAdapter, kept: Double), Error>?](repeating: nil, count: targets.count)
        let lock = NSLock()
        let svdStarted = Date()
        Gemm.concurrentProducts(targets.count) { i, _ in
            var own = generators[i]
            let result = Result { try decompose(targets[i], generator: &own) }
            lock.lock(); results[i] = result; lock.unlock()
        }
        var entries: [AdapterSet.Entry] = []
        var kept: [Double] = []
        for (target, result) in zip(targets, results) {
            guard let result else { preconditionFailure("target \(target.modulePath) was not decomposed") }
            let done = try result.get()
            target.linear.adapter = done.adapter
            entries.append(AdapterSet.Entry(target: target, adapter: done.adapter))
            kept.append(done.kept)
        }
        let report = InitializationReport(
            samples: samples, batches: batches.count, meanLoss: lossSum / Double(batches.count),
            effectiveLearningRate: effectiveLearningRate,
            gradientSeconds: gradientSeconds, svdSeconds: Date().timeIntervalSince(svdStarted),
            energyKept: zip(targets, kept).map { ($0.modulePath, $1) })
        return (entries, report)
    }

    /// ΔW of `target` from its summed gradient, its rank-r factors, and the fraction of ‖ΔW‖²
    /// they keep. Releases the gradient buffer once decomposed.
    private func decompose(_ target: TargetableLinear,
                           generator: inout SeededGenerator) throws -> (adapter: LoRAXSAdapter, kept: Double) {
        let w = target.linear.weight
        guard let g = w.gradient else {
            throw AdapterError.initialisation("\(target.modulePath) received no gradient")
        }
        let update = approximateFirstStep(g)   // in place: the gradient buffer becomes ΔW
        let total = Reductions.squaredNorm(update)
        let rank = min(settings.rank, update.rows, update.columns)
        let svd = try SVD.randomized(update, rank: rank, powerIterations: settings.svdIterations,
                                     generator: &generator)
        w.isTrainable = false   // ΔW is no longer needed: release it before the next target
        let energy = svd.singularValues.reduce(0.0) { $0 + Double($1) * Double($1) }
        let adapter = LoRAXSAdapter(b: Self.padColumns(svd.u, to: settings.rank),
                                    r: Self.diagonal(svd.singularValues, size: settings.rank),
                                    a: Self.padRows(svd.vt, to: settings.rank), scale: settings.scale)
        return (adapter, total > 0 ? min(1, energy / total) : 0)
    }

    /// `−η_eff · sign(G)` (or `−η_eff · G` for the raw-gradient ablation), written over `G`.
    func approximateFirstStep(_ g: Tensor) -> Tensor {
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

    /// An r×r matrix with `values` on the diagonal (zero-padded when the layer is smaller than r).
    static func diagonal(_ values: [Float], size: Int) -> Tensor {
        let t = Tensor(zeros: [size, size])
        for (i, v) in values.enumerated() where i < size { t.pointer[i * size + i] = v }
        return t
    }

    /// `u` (m×k) widened to m×r with zero columns, for layers narrower than the rank.
    static func padColumns(_ u: Tensor, to r: Int) -> Tensor {
        guard u.columns < r else { return u }
        let out = Tensor(zeros: [u.rows, r])
        for i in 0..<u.rows { (out.pointer + i * r).update(from: u.pointer + i * u.columns, count: u.columns) }
        return out
    }

    /// `vt` (k×n) extended to r×n with zero rows.
    static func padRows(_ vt: Tensor, to r: Int) -> Tensor {
        guard vt.rows < r else { return vt }
        let out = Tensor(zeros: [r, vt.columns])
        out.pointer.update(from: vt.pointer, count: vt.count)
        return out
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
