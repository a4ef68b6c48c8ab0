import Adapters
import Foundation
import ModelIO
import Models
import Training

/// A base model with a saved lorasb adapter attached (or none): what `eval`, `generate` and
/// `export` run.
public struct AdaptedModel {
    public let model: LoadedModel
    /// The attached adapter and its manifest; nil when no adapter folder was given.
    public let adapters: AdapterSet?
    public let manifest: AdapterManifest?

    /// Class names of a classifier, index = class id: from the adapter's manifest, else from the
    /// model folder's `config.json` (`id2label`, as a merged export writes it).
    public var labels: [String]? {
        if let l = manifest?.labels { return l }
        return LoadedModel.configLabels(model.files)
    }

    /// What the attached head predicts: the adapter's classes or regression, else what a merged
    /// export's `config.json` says (`id2label`). A one-output head is a regression (cross-entropy
    /// needs two classes). nil for a decoder, or a head without label names.
    public var headLayout: ClassificationLayout? {
        guard let classifier = model.classifier else { return nil }
        if classifier.labelCount == 1 { return .regression(range: nil) }
        return labels.map { ClassificationLayout.classes(labels: $0, task: nil) }
    }

    /// A model with adapters already attached in this process (exporting right after training).
    public init(model: LoadedModel, adapters: AdapterSet?, manifest: AdapterManifest? = nil) {
        self.model = model
        self.adapters = adapters
        self.manifest = manifest
    }

    /// Opens the model at `modelURL` and, when given, loads the adapter folder `adapter` onto it.
    /// A classifier's head is sized by the adapter's label count. Throws (naming the file) for
    /// a missing or corrupt adapter folder and for an adapter made for another model or task.
    public init(model modelURL: URL, adapter: URL?, seed: UInt64 = 0,
                opener: ModelOpening = ModelOpener()) throws {
        let files = try opener.files(at: modelURL)
        guard let adapter else {
            model = try LoadedModel(files: files, seed: seed)
            adapters = nil
            manifest = nil
            return
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: adapter.path, isDirectory: &isDirectory),
              isDirectory.boolValue else {
            throw AdapterError.file(path: adapter.path, problem: "no such adapter folder")
        }
        let manifest = try AdapterFolder.manifest(in: adapter)
        // The task first: an encoder cannot even be built without the adapter's label count.
        let task: TaskKind = files.config.family == .llama ? .causalLM : .sequenceClassification
        guard manifest.task == task.rawValue else {
            throw AdapterError.mismatch(path: adapter.path, problem:
                "the adapter is for a \(manifest.task) model; \(modelURL.path) is a \(task.rawValue) model")
        }
        let model = try LoadedModel(files: files, labelCount: ClassificationLayout.headOutputs(of: manifest), seed: seed)
        let (set, loaded) = try AdapterFolder.load(adapter, onto: model.network, identity: model.identity)
        self.model = model
        adapters = set
        self.manifest = loaded
    }
}

extension LoadedModel {
    /// `id2label` of a Hugging Face folder's `config.json`, in class order; nil when absent.
    static func configLabels(_ files: ModelFiles) -> [String]? {
        guard let url = files.configFile, let data = FileManager.default.contents(atPath: url.path),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let map = object["id2label"] as? [String: Any], !map.isEmpty else { return nil }
        var labels = [String?](repeating: nil, count: map.count)
        for (key, value) in map {
            guard let i = Int(key), labels.indices.contains(i), let name = value as? String else { return nil }
            labels[i] = name
        }
        let names = labels.compactMap { $0 }
        return names.count == map.count ? names : nil
    }
}
