import Dispatch
import Foundation

/// Splits element-wise and row-wise work over the cores with Dispatch.
public enum Parallel {
    /// Cores available to us.
    public static let cores: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// Calls `body` on disjoint chunks covering `0..<count`, in parallel when the work is large
    /// enough to pay for it (`minChunk` is the smallest chunk worth a thread).
    public static func forEachChunk(_ count: Int, minChunk: Int = 16_384,
                                    _ body: (Range<Int>) -> Void) {
        if count <= 0 { return }
        let chunks = min(cores, max(1, count / max(1, minChunk)))
        if chunks == 1 { body(0..<count); return }
        let per = (count + chunks - 1) / chunks
        withoutActuallyEscaping(body) { body in
            let box = UncheckedBox(body)
            DispatchQueue.concurrentPerform(iterations: chunks) { i in
                let lo = i * per, hi = min(count, lo + per)
                if lo < hi { box.value(lo..<hi) }
            }
        }
    }

    /// Calls `body(row)` for every row in `0..<rows`, rows split over the cores.
    /// `rowCost` (elements per row) decides whether threading pays.
    public static func forEachRow(_ rows: Int, rowCost: Int, _ body: (Int) -> Void) {
        forEachRowRange(rows, rowCost: rowCost) { range in
            for r in range { body(r) }
        }
    }

    /// Like `forEachRow`, handing each core its whole range of rows at once (for kernels that
    /// work on a block of rows, such as a tiled transposition).
    public static func forEachRowRange(_ rows: Int, rowCost: Int, _ body: (Range<Int>) -> Void) {
        forEachChunk(rows, minChunk: max(1, 16_384 / max(1, rowCost)), body)
    }
}

/// Hands a non-Sendable value (a closure over raw pointers) to `concurrentPerform`, whose
/// iterations touch disjoint memory by construction.
public struct UncheckedBox<T>: @unchecked Sendable {
    public let value: T
    public init(_ value: T) { self.value = value }
}
