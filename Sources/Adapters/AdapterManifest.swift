import Foundation

/// `adapter_config.json` of a lorasb adapter folder: what the adapter is, which base model it
/// belongs to and how it was trained. The factors themselves are in `adapter.safetensors`.
public struct AdapterManifest: Codable, Sendable, Equatable {
    /// Identifies the file format; bumped on incompatible changes.
    public var format: String = "lorasb-adapter"
    public var version: Int = 1
    public var settings: AdapterSettings
    /// The Transformers module paths the adapters sit on, in model order.
    public var modules: [String]
    public var baseModel: BaseModelIdentity
    /// "causal-lm" or "sequence-classification".
    public var task: String
    /// Class names of a classification head, index = class id.
    public var labels: [String]?
    /// Transformers' `problem_type` of a sequence head when it is not classification:
    /// `"regression"` for a one-output head trained with mean squared error (absent otherwise).
    public var problemType: String? = nil
    /// Trainable parameter count (PEFT's count).
    public var trainableParameters: Int
    /// LoRA-SB: η_eff the initialisation used (it scales R).
    public var effectiveLearningRate: Double?
    /// The training run's settings, as given (flag name → value).
    public var training: [String: String]

    public init(settings: AdapterSettings, modules: [String], baseModel: BaseModelIdentity,
                task: String, labels: [String]?, trainableParameters: Int,
                effectiveLearningRate: Double?, training: [String: String]) {
        self.settings = settings
        self.modules = modules
        self.baseModel = baseModel
        self.task = task
        self.labels = labels
        self.trainableParameters = trainableParameters
        self.effectiveLearningRate = effectiveLearningRate
        self.training = training
    }
}

/// Enough about the base model to refuse an adapter made for another one.
public struct BaseModelIdentity: Codable, Sendable, Equatable {
    public var path: String
    public var architecture: String
    public var layers: Int
    public var hiddenSize: Int
    public var vocabSize: Int
    public var parameters: Int

    public init(path: String, architecture: String, layers: Int, hiddenSize: Int,
                vocabSize: Int, parameters: Int) {
        self.path = path
        self.architecture = architecture
        self.layers = layers
        self.hiddenSize = hiddenSize
        self.vocabSize = vocabSize
        self.parameters = parameters
    }

    /// Whether an adapter trained on `self` fits a model with identity `other`.
    public func isCompatible(with other: BaseModelIdentity) -> Bool {
        architecture == other.architecture && layers == other.layers
            && hiddenSize == other.hiddenSize && vocabSize == other.vocabSize
    }
}

extension AdapterManifest {
    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        e.keyEncodingStrategy = .convertToSnakeCase
        return e
    }()

    static func decoder() -> JSONDecoder {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        return d
    }

    public func encoded() throws -> Data {
        try AdapterManifest.encoder.encode(self) + Data("\n".utf8)
    }

    public static func decode(_ data: Data, path: String) throws -> AdapterManifest {
        do {
            let m = try decoder().decode(AdapterManifest.self, from: data)
            guard m.format == "lorasb-adapter" else {
                throw AdapterError.file(path: path, problem: "not a lorasb adapter (format '\(m.format)')")
            }
            guard m.version == 1 else {
                throw AdapterError.file(path: path, problem: "adapter format version \(m.version) is newer than this lorasb understands")
            }
            return m
        } catch let e as AdapterError {
            throw e
        } catch let DecodingError.keyNotFound(key, ctx) {
            throw AdapterError.file(path: path, problem: "missing '\(codingPath(ctx.codingPath + [key]))'")
        } catch let DecodingError.typeMismatch(_, ctx) {
            throw AdapterError.file(path: path, problem: "wrong type at '\(codingPath(ctx.codingPath))'")
        } catch let DecodingError.valueNotFound(_, ctx) {
            throw AdapterError.file(path: path, problem: "missing value at '\(codingPath(ctx.codingPath))'")
        } catch let DecodingError.dataCorrupted(ctx) {
            throw AdapterError.file(path: path, problem: "not valid: \(ctx.debugDescription)")
        } catch {
            throw AdapterError.file(path: path, problem: "cannot read: \(error)")
        }
    }

    private static func codingPath(_ keys: [CodingKey]) -> String {
        keys.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
    }
}
