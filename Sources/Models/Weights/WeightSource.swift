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
        guard let found = shapeOfTensor(name) else {
            throw ModelError.missingTensor(name: name, source: sourceName)
        }
        let same = found == shape
            || (shape.count == 1 && found.reduce(1, *) == shape[0] && found.filter { $0 != 1 }.count <= 1)
        guard same else {
            throw ModelError.wrongShape(name: name, expected: shape, found: found, source: sourceName)
        }
        let t = try loadTensor(name)
        guard t.count == Tensor.elementCount(shape) else {
            throw ModelError.wrongShape(name: name, expected: shape, found: t.shape, source: sourceName)
        }
        return t.shape == shape ? t : t.reshaped(shape)
    }

    /// Loads `name` when present (optional biases), checking its shape.
    func loadIfPresent(_ name: String, shape: [Int]) throws -> Tensor? {
        shapeOfTensor(name) == nil ? nil : try load(name, shape: shape)
    }
}
