import ModelIO
import Tensor

/// A model folder or GGUF file is a weight source under its own tensor names.
extension ModelFiles: WeightSource {
    public var sourceName: String { url.path }
    public func shapeOfTensor(_ name: String) -> [Int]? { try? descriptor(named: name).shape }
    public func loadTensor(_ name: String) throws -> Tensor { try tensor(named: name) }
    public func loadPackedMatrix(_ name: String, rowOrder: [Int]?) throws -> PackedMatrix? {
        try packedMatrix(named: name, rowOrder: rowOrder)
    }
}
