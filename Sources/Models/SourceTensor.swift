/// Where a model parameter was read from: the tensor's name in the checkpoint and, for a GGUF
/// Llama query or key projection, the head count its rows were permuted over in the file
/// (`GGUFLlamaLayout`); nil when the rows are stored in Transformers' order. Writers that put
/// a parameter back into such a file read this rather than re-deriving the naming.
public struct SourceTensor: Sendable, Equatable {
    public let name: String
    public let permutedHeads: Int?

    public init(name: String, permutedHeads: Int?) {
        self.name = name
        self.permutedHeads = permutedHeads
    }
}
