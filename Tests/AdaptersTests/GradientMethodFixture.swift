import Foundation
import TestSupport

/// Tests/Fixtures/adapters/gradient_methods.json, made by
/// scripts/fixtures/make_gradient_method_fixtures.py from the LoRA-GA and LoRA-Pro authors' code.
struct GradientMethodFixture: Decodable {
    struct LoRAGA: Decodable {
        let rows, columns, rank: Int
        let alpha, gamma: Double
        let gradient, b, a, offset, singular_values: [Float]
    }
    struct LoRAPro: Decodable {
        let name: String
        let out, `in`, rank: Int
        let scale: Float
        let a, b, full_gradient, gradient_a, gradient_b, adjusted_a, adjusted_b: [Float]
    }
    let lora_ga: LoRAGA
    let lora_pro: [LoRAPro]

    static func load() throws -> GradientMethodFixture {
        let url = try TestPaths.require(TestPaths.fixtures.appendingPathComponent("adapters/gradient_methods.json"))
        return try JSONDecoder().decode(GradientMethodFixture.self, from: Data(contentsOf: url))
    }
}
