import Foundation
import Tensor

/// Per-target work of an initialisation (one SVD per targeted matrix) spread over the cores,
/// with results that do not depend on which core does which target.
enum ConcurrentTargets {
    /// `body(i, &generators[i])` for the targets `i` of `targets` (a group of a larger set whose
    /// streams were forked from the seed in target order up front, so results do not depend on
    /// the grouping), concurrently; results in the order of `targets`. Targets run each on one
    /// BLAS thread: the products of a rank-r randomized SVD are too narrow to keep two BLAS
    /// threads busy, and its QR steps run on one thread anyway. The first error, in target
    /// order, is thrown.
    static func map<T>(_ targets: Range<Int>, generators: [SeededGenerator],
                       _ body: (_ target: Int, _ generator: inout SeededGenerator) throws -> T) throws -> [T] {
        var results = [Result<T, Error>?](repeating: nil, count: targets.count)
        let lock = NSLock()
        Gemm.concurrentProducts(targets.count) { k, _ in
            let i = targets.lowerBound + k
            var own = generators[i]
            let result = Result { try body(i, &own) }
            lock.lock(); results[k] = result; lock.unlock()
        }
        return try results.enumerated().map { k, result in
            guard let result else { preconditionFailure("target \(targets.lowerBound + k) was not processed") }
            return try result.get()
        }
    }
}
