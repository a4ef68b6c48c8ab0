import Dispatch
import Foundation

extension Gemm {
    /// Runs `body(item, worker)` for every item in `0..<items`, the items spread over the cores
    /// and every sgemm inside them running on one BLAS thread.
    ///
    /// For many small independent products (attention's per-head `seq × seq` products) this
    /// beats issuing them one after another: OpenBLAS runs products under its small-matrix
    /// bound on one thread only, and splits the others over threads that then wait on each
    /// other for a few microseconds of work. Here each core takes whole items instead.
    ///
    /// `worker` is in `0..<Gemm.concurrentWorkers(items)` and no two items run on the same
    /// worker at the same time, so callers can give each worker its own scratch. Items are
    /// handed out one at a time (first come, first served), which keeps the cores balanced when
    /// one of them is slowed by another process. With one item (or one core) `body` runs on the
    /// calling thread with BLAS threading unchanged.
    public static func concurrentProducts(_ items: Int, _ body: (_ item: Int, _ worker: Int) -> Void) {
        if items <= 0 { return }
        let workers = concurrentWorkers(items)
        if workers == 1 {
            for i in 0..<items { body(i, 0) }
            return
        }
        let savedThreads = blasThreads
        blasThreads = 1
        defer { blasThreads = savedThreads }
        let queue = ItemQueue(count: items)
        withoutActuallyEscaping(body) { body in
            let box = UncheckedBox(body)
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                while let item = queue.next() { box.value(item, worker) }
            }
        }
    }

    /// How many workers `concurrentProducts(items)` uses (scratch slots to provide).
    public static func concurrentWorkers(_ items: Int) -> Int {
        max(1, min(Parallel.cores, items))
    }
}

/// Hands out `0..<count` one index at a time to whichever thread asks.
private final class ItemQueue: @unchecked Sendable {
    private let lock = NSLock()
    private var nextItem = 0
    private let count: Int

    init(count: Int) { self.count = count }

    func next() -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard nextItem < count else { return nil }
        nextItem += 1
        return nextItem - 1
    }
}
