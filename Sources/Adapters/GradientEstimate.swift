import Distributed
import Foundation
import Models
import NN
import Tensor

/// The summed full gradients of the targeted weights over the gradient-estimation samples,
/// what LoRA-SB, LoRA-GA and LoRA-Pro's relatives initialise from: forward and backward of the
/// whole model, adapters absent, over the samples; each batch's loss is divided by its number
/// of samples and every target's weight gradient `G = Σ_b ∇(loss_b / n_b)` summed across
/// batches. Each target's `G` is handed to the method's factorisation, which may overwrite it,
/// and released at once.
///
/// Memory: `G` takes 4 bytes per targeted weight (1.4 GB for Qwen2.5 0.5B's seven projections,
/// 5.2 GB at 1.5B). Within `initMemoryBudget` the targets are split into consecutive groups
/// (`targetGroups`) whose gradients fit, and the samples are passed through the model once per
/// group, each group factorised before the next pass. A target's gradient does not depend on
/// which other weights collect theirs, and each target's random stream is forked from the seed
/// in target order whatever the grouping, so any budget gives the same factors as one pass.
public struct GradientEstimate {
    public let batches: [TrainingBatch]
    /// Bytes the gradients of one group may take; nil: no limit (one pass).
    public let memoryBudget: Int?
    /// The processes of a data-parallel run: each sums a contiguous share of the batches and
    /// the sums are all-reduced, so every process factors the same gradient.
    public let communicator: any Communicator

    public init(batches: [TrainingBatch], memoryBudget: Int?, communicator: any Communicator = SingleProcess()) throws {
        guard !batches.isEmpty else {
            throw AdapterError.initialisation("no training samples to estimate the gradient from")
        }
        self.batches = batches
        self.memoryBudget = memoryBudget
        self.communicator = communicator
    }

    /// The samples `settings` choose from `context` (`initSamples`, `initOrder`), batched.
    public init(settings: AdapterSettings, context: InitializationContext) throws {
        let batches: [TrainingBatch]
        switch context.samples {
        case .batches(let given): batches = given
        case .training(let count, let batch): batches = try batch(Self.sampleIndices(among: count, settings: settings))
        }
        try self.init(batches: batches, memoryBudget: settings.initMemoryBudget, communicator: context.communicator)
    }

    /// The indices of the estimation samples among `count` training examples, in the order
    /// they are batched: the first `initSamples` of the training set shuffled with the seed, as
    /// the LoRA-SB authors' shuffling loader gives them, or the first in file order.
    public static func sampleIndices(among count: Int, settings: AdapterSettings) -> [Int] {
        let n = min(settings.initSamples, count)
        switch settings.initOrder {
        case .shuffled:
            var generator = SeededGenerator(seed: settings.seed)
            return Array(generator.permutation(count).prefix(n))
        case .file:
            return Array(0..<n)
        }
    }

    /// The bytes of one target's summed gradient (fp32, its weight's shape).
    public static func gradientBytes(of target: TargetableLinear) -> Int {
        4 * target.linear.outFeatures * target.linear.inFeatures
    }

    /// Consecutive runs of `targets` (in their order, which is the model's layer order) whose
    /// gradients together fit `budget` bytes; one run of all when there is no budget.
    public static func targetGroups(_ targets: [TargetableLinear], budget: Int?) throws -> [Range<Int>] {
        guard let budget else { return targets.isEmpty ? [] : [0..<targets.count] }
        var groups: [Range<Int>] = []
        var start = 0, bytes = 0
        for (i, t) in targets.enumerated() {
            let need = gradientBytes(of: t)
            guard need <= budget else {
                throw SettingError("initMemoryBudget", String(
                    format: "%.3g GB cannot hold the summed gradient of %@ alone (%.3g GB); give at least that much",
                    Double(budget) / 1e9, t.modulePath, Double(need) / 1e9))
            }
            if bytes + need > budget {
                groups.append(start..<i)
                start = i
                bytes = 0
            }
            bytes += need
        }
        if start < targets.count { groups.append(start..<targets.count) }
        return groups
    }

    /// What the estimate did.
    public struct Summary: Sendable {
        public let samples: Int
        public let batches: Int
        /// The mean batch loss (of the first pass; every pass computes the same).
        public let meanLoss: Double
        /// Passes over the samples: one per target group.
        public let passes: Int
        public let gradientSeconds: Double
        /// Time spent in `factorise` (the SVDs).
        public let factorSeconds: Double
    }

    /// `factorise(i, G_i, &generator_i)` for every target, concurrently within a group, with
    /// target `i`'s summed gradient (a buffer it may overwrite) and its own random stream. The
    /// model's parameters are left frozen; the first error, in target order, is thrown.
    public func map<T>(_ targets: [TargetableLinear], of model: TrainableModel, seed: UInt64,
                       _ factorise: (_ target: Int, _ gradient: Tensor, _ generator: inout SeededGenerator) throws -> T)
        throws -> (results: [T], summary: Summary)
    {
        let groups = try Self.targetGroups(targets, budget: memoryBudget)
        var generator = SeededGenerator(seed: seed)
        let generators = targets.map { _ in generator.fork() }
        model.freezeAllParameters()
        var results: [T] = []
        results.reserveCapacity(targets.count)
        var first: (samples: Int, meanLoss: Double)?
        var gradientSeconds = 0.0, factorSeconds = 0.0
        for group in groups {
            let weights = group.map { targets[$0].linear.weight }
            // Gradients are measured, never applied: W stays fixed, so with bf16 precision the
            // products (its gradient included) keep using the bf16 copies. Held fixed first, so
            // that a packed weight stays packed when it becomes trainable.
            for w in weights { w.isHeldFixed = true; w.isTrainable = true }
            defer { for w in weights { w.isTrainable = false; w.isHeldFixed = false } }   // frees the buffers
            let started = Date()
            let pass = try sumGradients(of: weights, model: model)
            first = first ?? pass
            gradientSeconds += Date().timeIntervalSince(started)

            let factorStarted = Date()
            results += try ConcurrentTargets.map(group, generators: generators) { i, generator in
                let w = targets[i].linear.weight
                defer { w.isTrainable = false }   // G is no longer needed: release it before the next target
                guard let g = w.gradient else {
                    throw AdapterError.initialisation("\(targets[i].modulePath) received no gradient")
                }
                return try factorise(i, g, &generator)
            }
            factorSeconds += Date().timeIntervalSince(factorStarted)
        }
        let summary = Summary(samples: first?.samples ?? 0, batches: batches.count, meanLoss: first?.meanLoss ?? 0,
                              passes: groups.count, gradientSeconds: gradientSeconds, factorSeconds: factorSeconds)
        return (results, summary)
    }

    /// Leaves `Σ_b ∇(loss_b / n_b)` in the gradient buffers of `weights` (the only trainable
    /// parameters); returns the number of samples and the mean batch loss, over all processes.
    func sumGradients(of weights: [Parameter], model: TrainableModel) throws -> (samples: Int, meanLoss: Double) {
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

    private func scale(_ t: Tensor?, by factor: Float) {
        guard let t, factor != 1 else { return }
        Elementwise.scale(t, by: factor, into: t)
    }
}
