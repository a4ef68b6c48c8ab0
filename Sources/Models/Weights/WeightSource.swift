import ModelIO
import NN
import Tensor

/// Where a model's weights come from: a safetensors checkpoint, a GGUF file, or tensors in
/// memory. Names are the source's own (Hugging Face names or GGUF names); shapes are
/// row-major, `[out, in]` for linear weights.
public protocol WeightSource: AnyObject {
    /// A short description for error messages (usually the file path).
    var sourceName: String { get }
    /// The shape of `name`, or nil when the source has no such tensor.
    func shapeOfTensor(_ name: String) -> [Int]?
    /// The tensor converted to fp32.
    func loadTensor(_ name: String) throws -> Tensor
    /// The 2-D tensor `name` in its stored form, not converted (matrix row `i` is stored row
    /// `rowOrder[i]` when given), or nil when the source can only hand out fp32 tensors.
    func loadPackedMatrix(_ name: String, rowOrder: [Int]?) throws -> PackedMatrix?
}

extension WeightSource {
    public func loadPackedMatrix(_ name: String, rowOrder: [Int]?) throws -> PackedMatrix? { nil }
}

/// Tensors held in memory under their names (tests, converted checkpoints).
public final class InMemoryWeights: WeightSource {
    public let sourceName: String
    public var tensors: [String: Tensor]

    public init(_ tensors: [String: Tensor], sourceName: String = "in-memory weights") {
        self.tensors = tensors
        self.sourceName = sourceName
    }

    public func shapeOfTensor(_ name: String) -> [Int]? { tensors[name]?.shape }

    public func loadTensor(_ name: String) throws -> Tensor {
        guard let t = tensors[name] else {
            throw ModelError.missingTensor(name: name, source: sourceName)
        }
        return t
    }
}

extension WeightSource {
    /// Loads `name` after checking it exists with exactly `shape` (a 1-D `[n]` also accepts
    /// GGUF's `[1, n]`-style equivalents of the same element count only when `shape` is 1-D).
    func load(_ name: String, shape: [Int]) throws -> Tensor {
        try checkShape(name, shape)
        let t = try loadTensor(name)
        guard t.count == Tensor.elementCount(shape) else {
            throw ModelError.wrongShape(name: name, expected: shape, found: t.shape, source: sourceName)
        }
        return t.shape == shape ? t : t.reshaped(shape)
    }

    /// A frozen parameter for `name` of exactly `shape`: a matrix stays in its stored form when
    /// the source can hand it out so (no fp32 copy), anything else is loaded as fp32.
    /// `ggufLlamaHeads`: the rows are a GGUF Llama query or key projection over that many heads,
    /// stored permuted (see `GGUFLlamaLayout`); the parameter presents them in Transformers' order.
    func loadParameter(_ name: String, shape: [Int], ggufLlamaHeads heads: Int? = nil) throws -> Parameter {
        try checkShape(name, shape)
        let label = "\(sourceName): \(name)"
        if shape.count == 2 {
            let order = try heads.map { try GGUFLlamaLayout.storedRows(shape[0], heads: $0, name: label) }
            if let m = try loadPackedMatrix(name, rowOrder: order) { return Parameter(packed: m) }
        }
        var t = try load(name, shape: shape)
        if let h = heads { t = try GGUFLlamaLayout.huggingFaceOrder(t, heads: h, name: label) }
        return Parameter(t)
    }

    /// Throws unless `name` exists with `shape`.
    private func checkShape(_ name: String, _ shape: [Int]) throws {
        guard let found = shapeOfTensor(name) else {
            throw ModelError.missingTensor(name: name, source: sourceName)
        }
        let same = found == shape
            || (shape.count == 1 && found.reduce(1, *) == shape[0] && found.filter { $0 != 1 }.count <= 1)
        guard same else {
            throw ModelError.wrongShape(name: name, expected: shape, found: found, source: sourceName)
        }
    }

    /// Loads `name` when present (optional biases), checking its shape.
    func loadIfPresent(_ name: String, shape: [Int]) throws -> Tensor? {
        shapeOfTensor(name) == nil ? nil : try load(name, shape: shape)
    }
}
