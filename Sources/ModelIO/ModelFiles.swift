import Foundation
import Tensor

/// One tensor of a checkpoint as the model code sees it: name, row-major shape, storage type.
public struct ModelTensorDescriptor: Sendable, Equatable {
    public let name: String
    /// Row-major shape, outermost first (GGUF's `ne` reversed).
    public let shape: [Int]
    /// The storage type as the file names it: `F32`, `BF16`, `Q4_1`, `I64`, ...
    public let dataType: String
    /// Whether the tensor holds weights (any floating-point or quantised type) rather than an
    /// integer buffer such as `position_ids`.
    public let isParameter: Bool

    public var elementCount: Int { shape.reduce(1, *) }
}

/// A model on disk, in either layout the project reads:
/// - a Hugging Face folder: `config.json`, weights in `model.safetensors` or shards listed by
///   `model.safetensors.index.json`, and `tokenizer.json`;
/// - a single `.gguf` file holding metadata, tokenizer and weights.
///
/// It answers the same questions for both: the configuration, the tensors (names, shapes,
/// types), any tensor as fp32, and the tokenizer kind. Model code maps checkpoint names to
/// layers through this.
public final class ModelFiles: @unchecked Sendable {
    /// Where the weights come from.
    public enum Storage: @unchecked Sendable {
        case safeTensors(SafeTensorsCheckpoint)
        case gguf(GGUFFile)
    }

    /// The folder or `.gguf` file opened.
    public let url: URL
    public let storage: Storage
    public let config: ModelConfig
    /// Every tensor: file order for GGUF, sorted by name for safetensors.
    public let tensors: [ModelTensorDescriptor]
    private let descriptorIndex: [String: Int]
    /// The tokenizer algorithm, or nil when the model ships no tokenizer.
    public let tokenizerKind: TokenizerKind?
    /// Where the tokenizer kind was read, such as `tokenizer.json` or
    /// `tokenizer.ggml.model = gpt2, pre = smollm`.
    public let tokenizerSourceName: String?
    /// `tokenizer.json` of a Hugging Face folder (nil for GGUF, whose vocabulary is metadata).
    public let tokenizerFile: URL?
    /// `config.json` of a Hugging Face folder.
    public let configFile: URL?

    /// Opens a Hugging Face model folder or a `.gguf` file.
    public init(url: URL) throws {
        self.url = url
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw ModelIOError(url, "no such file or folder")
        }
        if isDirectory.boolValue {
            let configURL = url.appendingPathComponent("config.json")
            guard FileManager.default.fileExists(atPath: configURL.path) else {
                throw ModelIOError(url, "not a model folder: it has no config.json")
            }
            let checkpoint = try SafeTensorsCheckpoint(url: url)
            storage = .safeTensors(checkpoint)
            config = try ModelConfig(huggingFaceConfigAt: configURL)
            configFile = configURL
            var descriptors: [ModelTensorDescriptor] = []
            for name in checkpoint.names {
                let info = try checkpoint.info(named: name)
                descriptors.append(ModelTensorDescriptor(name: name, shape: info.shape, dataType: info.dtype.rawValue,
                                                         isParameter: info.dtype.isFloatingPoint))
            }
            tensors = descriptors
            let tokenizerURL = url.appendingPathComponent("tokenizer.json")
            if FileManager.default.fileExists(atPath: tokenizerURL.path) {
                tokenizerFile = tokenizerURL
                let json = try JSONObject(contentsOf: tokenizerURL)
                let model = try json.required("model", json.object)
                tokenizerKind = TokenizerKind(tokenizerJSONType: try model.required("type", model.string))
                tokenizerSourceName = "tokenizer.json"
            } else {
                tokenizerFile = nil
                tokenizerKind = nil
                tokenizerSourceName = nil
            }
        } else {
            let file = try GGUFFile(url: url)
            storage = .gguf(file)
            config = try ModelConfig(gguf: file)
            configFile = nil
            tokenizerFile = nil
            tensors = file.tensorInfos.map {
                ModelTensorDescriptor(name: $0.name, shape: $0.shape, dataType: $0.type.description,
                                      isParameter: $0.type.isFloatingPoint)
            }
            if let model = file.metadata["tokenizer.ggml.model"] {
                guard let name = model.stringValue else {
                    throw ModelIOError(url, "tokenizer.ggml.model should be a string, found \(model)")
                }
                tokenizerKind = TokenizerKind(ggmlModel: name)
                let pre = file.metadata["tokenizer.ggml.pre"]?.stringValue.map { ", pre \($0)" } ?? ""
                tokenizerSourceName = "gguf \(name)\(pre)"
            } else {
                tokenizerKind = nil
                tokenizerSourceName = nil
            }
        }
        descriptorIndex = Dictionary(tensors.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// The GGUF file, when the model is one.
    public var gguf: GGUFFile? {
        if case .gguf(let f) = storage { return f }
        return nil
    }

    /// The safetensors checkpoint, when the model is a Hugging Face folder.
    public var safeTensors: SafeTensorsCheckpoint? {
        if case .safeTensors(let c) = storage { return c }
        return nil
    }

    /// `gguf` or `safetensors`.
    public var formatName: String {
        switch storage {
        case .gguf: return "gguf"
        case .safeTensors: return "safetensors"
        }
    }

    public func contains(_ name: String) -> Bool { descriptorIndex[name] != nil }

    public func descriptor(named name: String) throws -> ModelTensorDescriptor {
        guard let i = descriptorIndex[name] else { throw ModelIOError(url, "no tensor named \"\(name)\"") }
        return tensors[i]
    }

    /// Tensor `name` as fp32, row-major (dequantised or converted as needed).
    public func tensor(named name: String) throws -> Tensor {
        switch storage {
        case .gguf(let f): return try f.tensor(named: name)
        case .safeTensors(let c): return try c.tensor(named: name)
        }
    }

    /// Number of weights: elements of every floating-point or quantised tensor (integer
    /// buffers such as `position_ids` are not parameters).
    public var parameterCount: Int {
        tensors.reduce(0) { $0 + ($1.isParameter ? $1.elementCount : 0) }
    }

    /// Bytes of the weight files (the `.gguf`, or every safetensors shard).
    public var weightsFileSize: Int {
        switch storage {
        case .gguf(let f): return f.fileSize
        case .safeTensors(let c): return c.totalFileSize
        }
    }
}
