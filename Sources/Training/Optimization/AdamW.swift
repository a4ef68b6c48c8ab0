import Adapters
import Foundation
import Tensor

/// Adam with decoupled weight decay, computing exactly what `torch.optim.AdamW` computes
/// (its single-tensor CPU path, `amsgrad=False`), in the same order and precision:
///
///     p ← p · (1 − lr·λ)                              (decay first, on the old value)
///     m ← m + (1 − β₁)·(g − m)                       (torch's lerp)
///     v ← v·β₂ + (1 − β₂)·g²
///     p ← p − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
///
/// Scalars (bias corrections, step size) are computed in Double as Python does, then applied in
/// fp32 like torch's kernels. `t` counts steps from 1. Element-wise work is split over the cores.
public final class AdamW {
    public let parameters: [TrainableParameter]
    public let beta1: Double
    public let beta2: Double
    public let epsilon: Double
    /// Weight decay for parameters that do not set their own (torch's default is 0.01).
    public let weightDecay: Double
    /// Steps taken so far (torch's per-parameter `step`, the same for all parameters here).
    public private(set) var stepCount: Int = 0

    private let firstMoments: [Tensor]
    private let secondMoments: [Tensor]

    /// An optimizer over `parameters` (torch's defaults). Throws for betas outside [0, 1) or a
    /// negative epsilon or weight decay (the parameters' own included).
    public init(parameters: [TrainableParameter], beta1: Double = 0.9, beta2: Double = 0.999,
                epsilon: Double = 1e-8, weightDecay: Double = 0.01) throws {
        try SettingError.check("beta1", beta1, in: 0..<1)
        try SettingError.check("beta2", beta2, in: 0..<1)
        try SettingError.check("epsilon", epsilon, in: 0...1)
        for decay in [weightDecay] + parameters.compactMap(\.weightDecay) {
            try SettingError.check("weightDecay", decay, in: 0...Double.greatestFiniteMagnitude)
        }
        precondition(Set(parameters.map(\.name)).count == parameters.count, "AdamW parameter names must be unique")
        self.parameters = parameters
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        firstMoments = parameters.map { Tensor(zeros: $0.value.shape) }
        secondMoments = parameters.map { Tensor(zeros: $0.value.shape) }
    }

    /// One update of every parameter from its current gradient, at `learningRate`.
    public func step(learningRate: Double) {
        stepCount += 1
        let t = Double(stepCount)
        let biasCorrection1 = 1 - pow(beta1, t)
        let biasCorrection2Root = (1 - pow(beta2, t)).squareRoot()
        let stepSize = Float(-(learningRate / biasCorrection1))
        let lerpWeight = Float(1 - beta1)
        let beta2f = Float(beta2)
        let oneMinusBeta2 = Float(1 - beta2)
        let correction2 = Float(biasCorrection2Root)
        let eps = Float(epsilon)
        for (i, parameter) in parameters.enumerated() {
            let decay = parameter.weightDecay ?? weightDecay
            let keep = Float(1 - learningRate * decay)
            let applyDecay = decay != 0
            let p = parameter.value.pointer, g = parameter.gradient.pointer
            let m = firstMoments[i].pointer, v = secondMoments[i].pointer
            let box = UncheckedBox((p, g, m, v))
            Parallel.forEachChunk(parameter.value.count) { range in
                let (p, g, m, v) = box.value
                for j in range {
                    if applyDecay { p[j] *= keep }
                    let grad = g[j]
                    m[j] += lerpWeight * (grad - m[j])
                    v[j] = v[j] * beta2f + oneMinusBeta2 * grad * grad
                    let denominator = v[j].squareRoot() / correction2 + eps
                    p[j] += stepSize * (m[j] / denominator)
                }
            }
        }
    }

    /// A copy of the optimizer's state, for a checkpoint.
    public func state() -> AdamWState {
        AdamWState(step: stepCount, names: parameters.map(\.name),
                   firstMoments: firstMoments.map { $0.copy() },
                   secondMoments: secondMoments.map { $0.copy() })
    }

    /// Restores state saved by `state()`: the same parameter names with the same shapes, in any
    /// order. Throws (changing nothing) when they do not match.
    public func restore(_ state: AdamWState) throws {
        guard state.step >= 0 else { throw OptimizerStateError("step count \(state.step) is negative") }
        guard state.names.count == state.firstMoments.count, state.names.count == state.secondMoments.count else {
            throw OptimizerStateError("the state lists \(state.names.count) names but \(state.firstMoments.count) first and \(state.secondMoments.count) second moments")
        }
        var index: [String: Int] = [:]
        for (i, name) in state.names.enumerated() {
            guard index.updateValue(i, forKey: name) == nil else {
                throw OptimizerStateError("parameter \"\(name)\" appears twice")
            }
        }
        let ours = Set(parameters.map(\.name))
        if let extra = state.names.first(where: { !ours.contains($0) }) {
            throw OptimizerStateError("the state holds parameter \"\(extra)\", which is not being trained")
        }
        var sources: [(Tensor, Tensor)] = []
        for parameter in parameters {
            guard let i = index[parameter.name] else {
                throw OptimizerStateError("the state has no entry for parameter \"\(parameter.name)\"")
            }
            let m = state.firstMoments[i], v = state.secondMoments[i]
            guard m.shape == parameter.value.shape, v.shape == parameter.value.shape else {
                throw OptimizerStateError("parameter \"\(parameter.name)\" has shape \(parameter.value.shape) but its saved moments have \(m.shape) and \(v.shape)")
            }
            sources.append((m, v))
        }
        for (i, (m, v)) in sources.enumerated() {
            firstMoments[i].copy(from: m)
            secondMoments[i].copy(from: v)
        }
        stepCount = state.step
    }
}

/// AdamW's state: the step count and the two moment estimates of every parameter, by name.
public struct AdamWState: @unchecked Sendable {
    public var step: Int
    public var names: [String]
    public var firstMoments: [Tensor]
    public var secondMoments: [Tensor]

    public init(step: Int, names: [String], firstMoments: [Tensor], secondMoments: [Tensor]) {
        self.step = step
        self.names = names
        self.firstMoments = firstMoments
        self.secondMoments = secondMoments
    }
}

/// Saved optimizer state that does not fit the parameters being trained.
public struct OptimizerStateError: Error, CustomStringConvertible, Equatable {
    public let problem: String
    public init(_ problem: String) { self.problem = problem }
    public var description: String { "optimizer state: \(problem)" }
}
