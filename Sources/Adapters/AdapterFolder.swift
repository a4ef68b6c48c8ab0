import Foundation
import ModelIO
import Models
import NN
import Tensor

/// A lorasb adapter on disk: a folder with `adapter_config.json` (an `AdapterManifest`) and
/// `adapter.safetensors` holding, per target, `<module>.<factor>` for each of its adapter's
/// `factors` (LoRA-SB, LoRA-XS: `lora_B`, `lora_R`, `lora_A`), plus trained model parameters under
/// their checkpoint names (a classification head; every parameter for full fine-tuning).
public enum AdapterFolder {
    public static let manifestName = "adapter_config.json"
    public static let tensorsName = "adapter.safetensors"

    /// Writes the adapter folder (each file atomically; the folder is created if needed).
    public static func save(_ adapters: AdapterSet, manifest: AdapterManifest, to folder: URL) throws {
        try createFolder(folder)
        var writer = SafeTensorsWriter(metadata: ["format": "lorasb-adapter", "method": adapters.settings.method.rawValue])
        for (name, tensor) in adapters.adapterTensors { writer.add(name, tensor) }
        for (name, p) in adapters.trainedModelParameters { writer.add(name, p.value) }
        try writer.write(to: folder.appendingPathComponent(tensorsName))
        try AtomicFile.write(try manifest.encoded(), to: folder.appendingPathComponent(manifestName))
    }

    /// Reads the manifest of the adapter in `folder`.
    public static func manifest(in folder: URL) throws -> AdapterManifest {
        let url = folder.appendingPathComponent(manifestName)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw AdapterError.file(path: url.path, problem: "cannot read (is \(folder.path) an adapter folder?)")
        }
        return try AdapterManifest.decode(data, path: url.path)
    }

    /// Attaches the adapter saved in `folder` to `model` and loads its trained parameters,
    /// marking trainable what its method trains (so training can continue from it).
    public static func load(_ folder: URL, onto model: TrainableModel,
                            identity: BaseModelIdentity) throws -> (AdapterSet, AdapterManifest) {
        let manifest = try self.manifest(in: folder)
        let tensorsURL = folder.appendingPathComponent(tensorsName)
        guard manifest.baseModel.isCompatible(with: identity) else {
            throw AdapterError.mismatch(path: folder.path, problem:
                "made for \(manifest.baseModel.architecture) with \(manifest.baseModel.layers) layers, hidden \(manifest.baseModel.hiddenSize), vocabulary \(manifest.baseModel.vocabSize); this model is \(identity.architecture) with \(identity.layers) layers, hidden \(identity.hiddenSize), vocabulary \(identity.vocabSize)")
        }
        let file = try SafeTensorsFile(url: tensorsURL)
        func tensor(_ name: String, _ shape: [Int]) throws -> Tensor {
            guard file.contains(name) else {
                throw AdapterError.file(path: tensorsURL.path, problem: "missing tensor \(name)")
            }
            let t = try file.tensor(named: name)
            guard t.shape == shape else {
                throw AdapterError.file(path: tensorsURL.path, problem: "tensor \(name) has shape \(t.shape), expected \(shape)")
            }
            return t
        }
        model.freezeAllParameters()
        let settings = manifest.settings
        let method = settings.method.implementation
        let byPath = Dictionary(model.targetableLayers.map { ($0.modulePath, $0) }, uniquingKeysWith: { a, _ in a })
        var entries: [AdapterSet.Entry] = []
        for path in manifest.modules {
            guard let target = byPath[path] else {
                throw AdapterError.mismatch(path: folder.path, problem: "the model has no layer \(path)")
            }
            var adapter: Adapter?
            if method.addsAdapters {
                adapter = try method.restore(on: target.linear, settings: settings) { try tensor("\(path).\($0)", $1) }
            }
            target.linear.adapter = adapter
            entries.append(AdapterSet.Entry(target: target, adapter: adapter))
        }
        // Trained model parameters (classification head; everything for full fine-tuning).
        let parameters = Dictionary(model.namedParameters.map { ($0.name, $0.parameter) },
                                    uniquingKeysWith: { a, _ in a })
        for name in file.names where !AdapterSet.isFactorName(name) {
            guard let p = parameters[name] else {
                throw AdapterError.mismatch(path: tensorsURL.path, problem: "the model has no parameter \(name)")
            }
            p.value = try tensor(name, p.shape)   // assigned: a packed weight's value is a copy
        }
        let trainable = method.markTrainable(entries, of: model)
        return (AdapterSet(settings: settings, entries: entries, trainableParameters: trainable), manifest)
    }

    static func createFolder(_ folder: URL) throws {
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw AdapterError.file(path: folder.path, problem: "cannot create the folder: \(error.localizedDescription)")
        }
    }
}
