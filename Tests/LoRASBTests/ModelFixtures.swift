import Foundation
import ModelIO
import Tensor
import TestSupport

/// Reads the model parity fixtures made by scripts/fixtures/make_model_fixtures.py:
/// `<case>.json` (inputs, losses) and `<case>.safetensors` (reference tensors).
struct ModelFixture {
    let name: String
    let json: [String: Any]
    let tensors: SafeTensorsFile

    static var directory: URL { TestPaths.fixtures.appendingPathComponent("models") }

    init(_ name: String) throws {
        self.name = name
        let data = try Data(contentsOf: ModelFixture.directory.appendingPathComponent("\(name).json"))
        guard let obj = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw FixtureError(message: "\(name).json is not an object")
        }
        json = obj
        tensors = try SafeTensorsFile(url: ModelFixture.directory.appendingPathComponent("\(name).safetensors"))
    }

    var checkpoint: URL { ModelFixture.directory.appendingPathComponent(name) }

    func tensor(_ key: String) throws -> Tensor { try tensors.tensor(named: key) }

    func matrix(_ key: String, in object: [String: Any]? = nil) -> [[Int]] {
        ((object ?? json)[key] as? [[Any]] ?? []).map { $0.compactMap { ($0 as? NSNumber)?.intValue } }
    }

    func number(_ key: String, in object: [String: Any]? = nil) -> Double {
        ((object ?? json)[key] as? NSNumber)?.doubleValue ?? .nan
    }

    func object(_ key: String) -> [String: Any] { json[key] as? [String: Any] ?? [:] }
}

/// Largest absolute difference between two equally long sequences.
func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "lengths differ: \(a.count) vs \(b.count)")
    var m: Float = 0
    for i in a.indices { m = max(m, abs(a[i] - b[i])) }
    return m
}

/// ‖a − b‖ / ‖b‖.
func relativeError(_ a: [Float], reference b: [Float]) -> Float {
    precondition(a.count == b.count, "lengths differ: \(a.count) vs \(b.count)")
    var num: Double = 0, den: Double = 0
    for i in a.indices {
        let d = Double(a[i]) - Double(b[i])
        num += d * d
        den += Double(b[i]) * Double(b[i])
    }
    return Float((num / max(den, 1e-30)).squareRoot())
}

struct FixtureError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
