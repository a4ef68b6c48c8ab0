import Tensor

/// A token embedding table `[vocabulary, dim]`: forward gathers rows, backward scatter-adds
/// into the table's gradient (only when it is trainable; token ids have no gradient).
///
/// The returned activation belongs to the layer and is overwritten by the next `forward`.
public final class Embedding {
    /// `[vocabulary, dim]`. Share it with a `Linear` for a tied output projection.
    public let weight: Parameter
    public var vocabularySize: Int { weight.shape[0] }
    public var dimension: Int { weight.shape[1] }

    private var ids: [Int] = []
    private var output = ActivationBuffer()

    public init(weight: Parameter) {
        precondition(weight.shape.count == 2, "Embedding weight must be [vocabulary, dim], got \(weight.shape)")
        self.weight = weight
    }

    public convenience init(weight: Tensor, trainable: Bool = false) {
        self.init(weight: Parameter(weight, trainable: trainable))
    }

    /// Rows of the table for `ids`, shaped `leadingShape + [dim]` (e.g. `[batch, seq, dim]`;
    /// default `[ids.count, dim]`). Throws when an id is outside the vocabulary.
    public func forward(_ ids: [Int], shape leadingShape: [Int]? = nil) throws -> Tensor {
        let lead = leadingShape ?? [ids.count]
        guard Tensor.elementCount(lead) == ids.count else {
            throw NNError.shapeMismatch(what: "embedding ids for shape \(lead)",
                                        expected: Tensor.elementCount(lead), got: ids.count)
        }
        let vocab = vocabularySize, dim = dimension
        for (position, id) in ids.enumerated() where id < 0 || id >= vocab {
            throw NNError.tokenOutOfRange(id: id, position: position, vocabularySize: vocab)
        }
        self.ids = ids
        let y = output.tensor(lead + [dim])
        let table = weight.matrix, out = y.pointer
        // Only the gathered rows are decoded (a packed table stays packed).
        ids.withUnsafeBufferPointer { idp in
            Parallel.forEachRow(idp.count, rowCost: dim) { r in
                table.decodeRows(idp[r]..<(idp[r] + 1), into: out + r * dim)
            }
        }
        return y
    }

    /// Adds `dy` rows into the gradient rows of their token ids (when the table is trainable).
    public func backward(_ dy: Tensor) {
        precondition(dy.columns == dimension && dy.rows == ids.count,
                     "Embedding dy \(dy.shape) for \(ids.count) ids of \(dimension)")
        guard weight.isTrainable else { return }
        let g = weight.gradientForAccumulation().pointer
        let dim = dimension, src = dy.pointer
        // Serial: repeated ids would race, and this is n·dim additions.
        for (r, id) in ids.enumerated() {
            let row = g + id * dim, d = src + r * dim
            var i = 0
            while i + 16 <= dim {
                RowKernels.store(RowKernels.load(row + i) + RowKernels.load(d + i), row + i)
                i += 16
            }
            while i < dim { row[i] += d[i]; i += 1 }
        }
    }
}
