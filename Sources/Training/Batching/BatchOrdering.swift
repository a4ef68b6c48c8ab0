import Tensor
/// How the examples of an epoch are grouped into batches.
public enum BatchOrdering: Equatable, Sendable {
    /// A fresh random permutation each epoch, cut into consecutive batches.
    case shuffled
    /// Random, but with examples of similar length together so little is spent on padding, as
    /// Transformers' `group_by_length` does: a random permutation is cut into "megabatches" of
    /// `megabatchFactor × batchSize` examples, each sorted by length (longest first) and cut into
    /// batches; then the order of all batches is shuffled. A factor at least the number of batches
    /// sorts the whole dataset, as mlx_lm does.
    case lengthGrouped(megabatchFactor: Int)
    /// In dataset order (evaluation).
    case sequential
    /// Longest first, ties in dataset order (evaluation with the least padding; results are
    /// mapped back through `Batch.exampleIndices`).
    case longestFirst

    /// Transformers' default megabatch factor.
    public static let lengthGrouped = BatchOrdering.lengthGrouped(megabatchFactor: 50)

    /// The batches (lists of example indices) of one epoch. Only random orderings draw from
    /// `generator`.
    func batches(lengths: [Int], batchSize: Int, dropLast: Bool,
                 generator: inout SeededGenerator) -> [[Int]] {
        let n = lengths.count
        func longestFirst(_ indices: [Int]) -> [Int] {
            indices.enumerated().sorted { a, b in
                lengths[a.element] != lengths[b.element] ? lengths[a.element] > lengths[b.element] : a.offset < b.offset
            }.map(\.element)
        }
        func cut(_ indices: [Int]) -> [[Int]] {
            stride(from: 0, to: indices.count, by: batchSize).map {
                Array(indices[$0..<min(indices.count, $0 + batchSize)])
            }
        }
        var result: [[Int]]
        switch self {
        case .sequential:
            result = cut(Array(0..<n))
        case .longestFirst:
            result = cut(longestFirst(Array(0..<n)))
        case .shuffled:
            var order = Array(0..<n)
            generator.shuffle(&order)
            result = cut(order)
        case .lengthGrouped(let factor):
            var order = Array(0..<n)
            generator.shuffle(&order)
            let megabatch = max(1, factor) * batchSize
            result = []
            for start in stride(from: 0, to: n, by: megabatch) {
                result += cut(longestFirst(Array(order[start..<min(n, start + megabatch)])))
            }
            generator.shuffle(&result)
        }
        if dropLast { result.removeAll { $0.count < batchSize } }
        return result
    }
}
