import Foundation
import ModelIO
import Testing
@testable import Adapters
import Models
import NN
import Tensor
import TestSupport

/// rsLoRA, PiSSA and DoRA against PEFT on the real SmolLM2-135M GGUF: with the factors PEFT
/// held (Tests/Fixtures/methods, from scripts/fixtures/make_method_fixtures.py) restored on the
/// same two layers, the loss, logits and every adapter tensor's gradient match PEFT's; our own
/// initialisations match PEFT's PiSSA factors and DoRA magnitude.
@Suite(.serialized) struct PEFTMethodParityTests {
    static var directory: URL { TestPaths.fixtures.appendingPathComponent("methods") }
    let json: [String: Any]
    let modules: [String]

    init() throws {
        let data = try Data(contentsOf: Self.directory.appendingPathComponent("methods.json"))
        json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        modules = try #require(json["modules"] as? [String])
    }

    var settingsRank: Int { (json["rank"] as? NSNumber)?.intValue ?? 0 }

    func settings(_ method: AdapterMethod) -> AdapterSettings {
        AdapterSettings(method: method, rank: settingsRank, alpha: (json["alpha"] as? NSNumber)?.doubleValue,
                        targets: [])
    }

    func targets(_ model: LlamaModel) throws -> [TargetableLinear] {
        let found = model.targetableLayers.filter { modules.contains($0.modulePath) }
        try #require(found.count == modules.count)
        return found
    }

    @Test(arguments: ["rslora", "pissa", "dora"])
    func lossLogitsAndGradientsMatchPEFT(_ name: String) throws {
        let method = try AdapterMethod(parsing: name)
        let reference = try SafeTensorsFile(url: Self.directory.appendingPathComponent("\(name).safetensors"))
        let model = try LlamaModel(contentsOf: TestPaths.require(TestPaths.smolLM2GGUF))
        model.freezeAllParameters()
        var entries: [AdapterSet.Entry] = []
        for t in try targets(model) {
            let adapter = try method.implementation.restore(on: t.linear, settings: settings(method)) { factor, shape in
                let x = try reference.tensor(named: "\(t.modulePath).\(factor)")
                #expect(x.shape == shape, "\(t.modulePath).\(factor)")
                return x
            }
            t.linear.adapter = adapter
            entries.append(AdapterSet.Entry(target: t, adapter: adapter))
        }
        let trained = method.implementation.markTrainable(entries, of: model)
        let ids = try #require(json["ids"] as? [Int]), labels = try #require(json["labels"] as? [Int])
        let loss = try model.lossAndGradients(TokenBatch(ids: [ids], labels: [labels]))
        let expected = try #require((json["loss"] as? [String: Any])?[name] as? NSNumber).doubleValue
        print("\(name): loss \(loss) vs PEFT \(expected)")
        #expect(abs(Double(loss) - expected) < 1e-4 * max(1, abs(expected)))

        #expect(trained.count == modules.count * (method == .dora ? 3 : 2))
        for (tensorName, p) in trained {
            let ours = try #require(p.gradient).array
            let peft = try reference.tensor(named: "grad.\(tensorName)").array
            let err = relativeError(ours, reference: peft)
            print("\(name): gradient \(tensorName) relative error \(err)")
            #expect(err <= 1e-3, "\(tensorName)")
        }

        let subset = try reference.tensor(named: "vocab_subset").array.map { Int($0) }
        let logits = try model.logits(TokenBatch(ids: [ids])).array
        let v = model.config.vocabSize
        let ours = (0..<ids.count).flatMap { t in subset.map { logits[t * v + $0] } }
        let worst = maxAbsDifference(ours, try reference.tensor(named: "logits").array)
        print("\(name): logits max abs difference \(worst)")
        #expect(worst <= 1e-3)
    }

    /// Our PiSSA factors are PEFT's, component by component up to the sign an SVD may choose.
    @Test func pissaInitialisationIsPEFTs() throws {
        let reference = try SafeTensorsFile(url: Self.directory.appendingPathComponent("pissa.safetensors"))
        let model = try LlamaModel(contentsOf: TestPaths.require(TestPaths.smolLM2GGUF))
        let targets = try targets(model)
        let (adapters, _) = try PiSSAMethod.initialise(targets, of: model, settings: settings(.pissa), context: .none)
        for (t, adapter) in zip(targets, adapters) {
            let p = try #require(adapter as? PiSSAAdapter)
            let a = p.initial.a.value, b = p.initial.b.value
            let peftA = try reference.tensor(named: "\(t.modulePath).lora_A_init")
            let peftB = try reference.tensor(named: "\(t.modulePath).lora_B_init")
            let r = a.rows, n = a.columns, m = b.rows
            for i in 0..<r {
                let ourRow = Array(a.array[(i * n)..<((i + 1) * n)]), peftRow = Array(peftA.array[(i * n)..<((i + 1) * n)])
                let sign: Float = zip(ourRow, peftRow).reduce(0) { $0 + $1.0 * $1.1 } < 0 ? -1 : 1
                let errA = relativeError(ourRow.map { $0 * sign }, reference: peftRow)
                let ourColumn = (0..<m).map { b.array[$0 * r + i] * sign }, peftColumn = (0..<m).map { peftB.array[$0 * r + i] }
                let errB = relativeError(ourColumn, reference: peftColumn)
                #expect(errA <= 1e-3 && errB <= 1e-3, "\(t.modulePath) component \(i): A \(errA), B \(errB)")
            }
        }
    }

    /// DoRA's magnitude starts at PEFT's: the row norms of the dequantised weight.
    @Test func doraMagnitudeStartsAtPEFTs() throws {
        let reference = try SafeTensorsFile(url: Self.directory.appendingPathComponent("dora.safetensors"))
        let model = try LlamaModel(contentsOf: TestPaths.require(TestPaths.smolLM2GGUF))
        let targets = try targets(model)
        let (adapters, _) = try DoRAMethod.initialise(targets, of: model, settings: settings(.dora), context: .none)
        for (t, adapter) in zip(targets, adapters) {
            let d = try #require(adapter as? DoRAAdapter)
            let err = relativeError(d.magnitude.value.array,
                                    reference: try reference.tensor(named: "\(t.modulePath).magnitude_init").array)
            print("DoRA initial magnitude \(t.modulePath): relative error \(err)")
            #expect(err <= 1e-5)
        }
    }
}
