import Foundation
import Testing
@testable import Adapters
import Models
import NN
import Tensor

/// Which training samples LoRA-SB's gradient estimate uses, and that the initialiser itself
/// draws them and chooses η_eff from the run's schedule.
@Suite struct InitSampleOrderTests {
    func indices(_ order: AdapterSettings.InitOrder, seed: UInt64, samples: Int = 50, among count: Int = 1000) -> [Int] {
        let settings = AdapterSettings(method: .loraSB, targets: ["q"], seed: seed, initSamples: samples, initOrder: order)
        return LoRASBInitializer(settings: settings).sampleIndices(among: count)
    }

    @Test func shuffledDrawIsSeededDeterministicAndNotFileOrder() {
        let first = indices(.shuffled, seed: 3)
        #expect(first == indices(.shuffled, seed: 3))
        #expect(first != indices(.shuffled, seed: 4))
        #expect(first != Array(0..<50))
        #expect(first.count == 50 && Set(first).count == 50 && first.allSatisfy { (0..<1000).contains($0) })
        // Spread over the whole set, not bunched at its start (a sorted file would bias that).
        #expect(first.max()! > 500)
    }

    @Test func fileOrderTakesTheFirstSamples() {
        #expect(indices(.file, seed: 3) == Array(0..<50))
        #expect(indices(.file, seed: 3, samples: 50, among: 7) == Array(0..<7))
        #expect(Set(indices(.shuffled, seed: 3, samples: 50, among: 7)) == Set(0..<7))
    }

    @Test func shuffledIsTheDefaultAndOldManifestsReadAsFileOrder() throws {
        #expect(AdapterSettings(targets: []).initOrder == .shuffled)
        let settings = AdapterSettings(method: .loraSB, targets: ["q"])
        var object = try #require(JSONSerialization.jsonObject(with: JSONEncoder().encode(settings)) as? [String: Any])
        object["initOrder"] = nil
        let old = try JSONDecoder().decode(AdapterSettings.self, from: JSONSerialization.data(withJSONObject: object))
        #expect(old.initOrder == .file)
    }

    @Test func initialiserBatchesTheDrawnSamplesAndChoosesEta() throws {
        let examples = try (0..<6).map { try TinyModels.lmBatch(seed: UInt64(20 + $0), rows: 1) }
        var requested: [[Int]] = []
        let context = InitializationContext(
            samples: .training(count: examples.count) { indices in
                requested.append(indices)
                return indices.map { examples[$0] }
            },
            learningRate: .formula,
            schedule: RunSchedule(learningRate: 1e-3, warmupRatio: 0.5, totalSteps: 8, epochs: 1))
        let settings = AdapterSettings(method: .loraSB, rank: 2, targets: ["q"], seed: 5, initSamples: 3)
        let (_, report) = try AdapterFactory.attach(settings, to: try TinyModels.llama(), context: context)
        #expect(requested == [LoRASBInitializer(settings: settings).sampleIndices(among: 6)])
        #expect(report?.samples == 3)
        #expect(report?.effectiveLearningRate == 1e-3 / 4)
    }
}
