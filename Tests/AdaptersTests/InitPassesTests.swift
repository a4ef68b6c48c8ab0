import Foundation
import Testing
@testable import Adapters
import Models
import NN
import Tensor

/// The gradient estimate within a memory budget: several passes over the same samples, one
/// group of targets each, give exactly the factors of one pass.
@Suite struct InitPassesTests {
    static let targets = ["q", "k", "v", "o", "gate", "up", "down"]

    func factors(_ method: AdapterMethod, budget: Int?) throws -> (factors: [[Float]], passes: Int) {
        let batches = [try TinyModels.lmBatch(seed: 1), try TinyModels.lmBatch(seed: 2, rows: 3)]
        let model = try TinyModels.llama()
        let settings = AdapterSettings(method: method, rank: 3, targets: Self.targets, seed: 4, initMemoryBudget: budget)
        let (adapters, report) = try AdapterFactory.attach(settings, to: model, gradientBatches: batches,
                                                           effectiveLearningRate: 1e-3)
        for e in adapters.entries {
            #expect(!e.target.linear.weight.isTrainable && e.target.linear.weight.gradient == nil)
        }
        let values = try adapters.entries.flatMap { e in try #require(e.adapter).factors.map { $0.parameter.value.array } }
        return (values, try #require(report).passes)
    }

    @Test(arguments: [AdapterMethod.loraSB, .loraGA])
    func tinyBudgetGivesTheFactorsOfOnePass(_ method: AdapterMethod) throws {
        let model = try TinyModels.llama()
        let targets = model.targetableLayers(named: Set(Self.targets))
        let largest = targets.map(GradientEstimate.gradientBytes).max()!
        let total = targets.map(GradientEstimate.gradientBytes).reduce(0, +)
        let one = try factors(method, budget: nil)
        #expect(one.passes == 1)
        // The largest target alone fits: every group is one or a few targets.
        let tight = try factors(method, budget: largest)
        #expect(tight.passes > 1)
        #expect(tight.passes == (try GradientEstimate.targetGroups(targets, budget: largest)).count)
        #expect(tight.factors == one.factors, "\(method): factors differ between one pass and \(tight.passes)")
        // Half the total: two or three passes, still identical.
        let half = try factors(method, budget: total / 2)
        #expect(half.passes >= 2 && half.passes < tight.passes)
        #expect(half.factors == one.factors)
    }

    @Test func groupsAreConsecutiveAndWithinTheBudget() throws {
        let model = try TinyModels.llama()
        let targets = model.targetableLayers(named: Set(Self.targets))
        let bytes = targets.map(GradientEstimate.gradientBytes)
        let budget = bytes.max()! * 2
        let groups = try GradientEstimate.targetGroups(targets, budget: budget)
        #expect(groups.first?.lowerBound == 0 && groups.last?.upperBound == targets.count)
        for (g, next) in zip(groups, groups.dropFirst()) { #expect(g.upperBound == next.lowerBound) }
        for g in groups { #expect(g.map { bytes[$0] }.reduce(0, +) <= budget) }
        #expect(try GradientEstimate.targetGroups(targets, budget: nil) == [0..<targets.count])
    }

    @Test func budgetBelowOneTargetNamesTheSetting() throws {
        let model = try TinyModels.llama()
        let targets = model.targetableLayers(named: Set(Self.targets))
        let largest = targets.map(GradientEstimate.gradientBytes).max()!
        do {
            _ = try factors(.loraSB, budget: largest - 1)
            Issue.record("a budget below one target's gradient must be refused")
        } catch let e as SettingError {
            #expect(e.setting == "initMemoryBudget")
            #expect(e.problem.contains("model.layers."), "\(e.problem)")
        }
        let settings = AdapterSettings(method: .loraSB, rank: 3, targets: Self.targets, initMemoryBudget: 0)
        #expect(throws: SettingError.self) { try settings.validate() }
    }
}
