import Foundation

/// What `lorasb info` reports about a model: its shape, size and storage.
public struct ModelSummary: Sendable, Equatable {
    public var path: String
    /// `gguf` or `safetensors`.
    public var format: String
    public var architecture: String
    public var family: ModelFamily
    public var layers: Int
    public var hiddenSize: Int
    public var heads: Int
    public var kvHeads: Int
    public var intermediateSize: Int
    public var vocabularySize: Int
    public var maxPositions: Int
    public var parameterCount: Int
    public var tensorCount: Int
    /// Number of tensors per storage type (`F32`, `Q4_1`, `I64`, ...).
    public var tensorsPerType: [String: Int]
    /// Tokenizer kind, or `none`.
    public var tokenizer: String
    /// Bytes of the weight files.
    public var fileSize: Int

    public init(_ model: ModelFiles) {
        let c = model.config
        path = model.url.path
        format = model.formatName
        architecture = c.modelType
        family = c.family
        layers = c.layerCount
        hiddenSize = c.hiddenSize
        heads = c.headCount
        kvHeads = c.kvHeadCount
        intermediateSize = c.intermediateSize
        vocabularySize = c.vocabularySize
        maxPositions = c.maxPositions
        parameterCount = model.parameterCount
        tensorCount = model.tensors.count
        tensorsPerType = model.tensors.reduce(into: [:]) { $0[$1.dataType, default: 0] += 1 }
        tokenizer = model.tokenizerKind.map { kind in
            model.tokenizerSourceName.map { "\(kind) (\($0))" } ?? kind.description
        } ?? "none"
        fileSize = model.weightsFileSize
    }

    /// `1234567` as `1,234,567`.
    static func grouped(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, ch) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return n < 0 ? "-" + out : out
    }

    static func megabytes(_ bytes: Int) -> String {
        String(format: "%.1f MB", Double(bytes) / 1_000_000)
    }

    /// Human-readable lines.
    public var text: String {
        let types = tensorsPerType.sorted { ($0.value, $1.key) > ($1.value, $0.key) }
            .map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        let rows: [(String, String)] = [
            ("model", path),
            ("format", format),
            ("architecture", "\(architecture) (\(family.rawValue) family)"),
            ("layers", "\(layers)"),
            ("hidden size", "\(hiddenSize)"),
            ("heads", "\(heads) (key/value heads: \(kvHeads))"),
            ("intermediate", "\(intermediateSize)"),
            ("vocabulary", "\(vocabularySize)"),
            ("max positions", "\(maxPositions)"),
            ("parameters", ModelSummary.grouped(parameterCount)),
            ("tensors", "\(tensorCount) (\(types))"),
            ("tokenizer", tokenizer),
            ("file size", "\(ModelSummary.grouped(fileSize)) bytes (\(ModelSummary.megabytes(fileSize)))"),
        ]
        return rows.map { "\($0.0.padding(toLength: 14, withPad: " ", startingAt: 0)) \($0.1)" }
            .joined(separator: "\n")
    }

    /// A JSON object with the same facts (keys sorted, for stable output).
    public func json() throws -> String {
        let object: [String: Any] = [
            "path": path, "format": format, "architecture": architecture, "family": family.rawValue,
            "layers": layers, "hidden_size": hiddenSize, "heads": heads, "kv_heads": kvHeads,
            "intermediate_size": intermediateSize, "vocab_size": vocabularySize,
            "max_positions": maxPositions, "parameters": parameterCount, "tensor_count": tensorCount,
            "tensors_per_type": tensorsPerType, "tokenizer": tokenizer, "file_size": fileSize,
        ]
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }
}
