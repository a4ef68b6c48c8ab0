import Foundation
import ModelIO
import Models
import NN
import Testing

/// What a loaded decoder keeps resident for its weights: each distinct parameter once, split
/// into matrices (which must stay in the GGUF's encoding, with no fp32 storage) and 1-D
/// vectors (norms, biases: fp32).
struct ResidentWeights {
    let matrices: [Parameter]
    let vectors: [Parameter]
    /// The GGUF's 2-D tensors: what the matrices' bytes must add up to.
    let fileMatrices: [GGUFTensorInfo]

    init(_ model: LlamaModel, file: GGUFFile) {
        var seen = Set<ObjectIdentifier>()
        let parameters = model.namedParameters.map(\.parameter).filter { seen.insert(ObjectIdentifier($0)).inserted }
        matrices = parameters.filter { $0.shape.count == 2 }
        vectors = parameters.filter { $0.shape.count == 1 }
        fileMatrices = file.tensorInfos.filter { $0.shape.count == 2 }
        #expect(matrices.count + vectors.count == parameters.count, "every parameter is a matrix or a vector")
    }

    var matrixBytes: Int { matrices.reduce(0) { $0 + $1.byteCount } }
    var vectorBytes: Int { vectors.reduce(0) { $0 + $1.byteCount } }
    /// What the same weights would take as fp32.
    var fp32Bytes: Int { 4 * (matrices + vectors).reduce(0) { $0 + $1.shape.reduce(1, *) } }

    /// No matrix has an fp32 copy: each is packed, and together they hold exactly the file's
    /// matrix bytes; the vectors are fp32 and nothing else.
    func expectNoFP32Matrices(_ label: String) {
        #expect(matrices.count == fileMatrices.count, "\(label): one parameter per matrix of the file")
        #expect(matrices.allSatisfy { $0.packed != nil && $0.dense == nil }, "\(label): no matrix has fp32 storage")
        #expect(matrixBytes == fileMatrices.reduce(0) { $0 + $1.byteRange.count }, "\(label): matrices hold the file's bytes")
        #expect(vectorBytes == 4 * vectors.reduce(0) { $0 + $1.shape[0] }, "\(label): vectors are fp32")
        print("\(label) resident weights: \(matrixBytes + vectorBytes) bytes (matrices \(matrixBytes) packed, vectors \(vectorBytes)); all fp32 would be \(fp32Bytes)")
    }
}
