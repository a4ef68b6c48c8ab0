import Foundation
import TestSupport

/// Tests/Fixtures/training/optimizer.json, made by scripts/fixtures/make_training_fixtures.py.
struct OptimizerFixture: Decodable {
    struct Step: Decodable {
        let gradients: [String: [Float]]
        let learning_rate: Double
        let gradient_norm: Double
        let clipped_gradients: [String: [Float]]
        let parameters: [String: [Float]]
    }
    struct Run: Decodable {
        let name: String
        let schedule: String
        let total_steps: Int
        let warmup_ratio: Double
        let warmup_steps: Int
        let learning_rate: Double
        let max_grad_norm: Double
        let beta1: Double
        let beta2: Double
        let epsilon: Double
        let weight_decay: [String: Double]
        let shapes: [String: [Int]]
        let initial: [String: [Float]]
        let steps: [Step]
    }
    let runs: [Run]

    static func load() throws -> OptimizerFixture {
        let url = try TestPaths.require(TestPaths.fixtures.appendingPathComponent("training/optimizer.json"))
        return try JSONDecoder().decode(OptimizerFixture.self, from: Data(contentsOf: url))
    }
}

/// Tests/Fixtures/training/schedules.json: transformers' multipliers for steps 0...total+1.
struct ScheduleFixture: Decodable {
    struct Table: Decodable {
        let total_steps: Int
        let warmup_ratio: Double
        let warmup_steps: Int
        let cosine: [Double]
        let linear: [Double]
        let constant: [Double]
    }
    let tables: [Table]

    static func load() throws -> ScheduleFixture {
        let url = try TestPaths.require(TestPaths.fixtures.appendingPathComponent("training/schedules.json"))
        return try JSONDecoder().decode(ScheduleFixture.self, from: Data(contentsOf: url))
    }
}
