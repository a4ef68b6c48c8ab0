import Foundation
import XCTest
@testable import Tensor

final class ConcurrentProductsTests: XCTestCase {
    /// Items of products (small ones on the small-matrix path, transposed ones on the packed
    /// path, accumulating ones) run concurrently must equal the same products run in order,
    /// every item must run once, a worker must never run two items at once, and BLAS threading
    /// must be as before afterwards.
    func testConcurrentItemsMatchSerialProducts() {
        let items = 13, (m, n, k) = (40, 24, 33)
        let a = randomTensor([items, k, m], seed: 90), b = randomTensor([items, k, n], seed: 91)
        func run(_ c: Tensor, _ each: (Int, (Int) -> Void) -> Void) {
            each(items) { i in
                // c_i = a_iᵀ b_i, then c_i += 0.5 · a_iᵀ b_i
                Gemm.sgemm(transposeA: true, transposeB: false, m: m, n: n, k: k,
                           a: a.pointer + i * k * m, lda: m, b: b.pointer + i * k * n, ldb: n,
                           c: c.pointer + i * m * n, ldc: n)
                Gemm.sgemm(transposeA: true, transposeB: false, m: m, n: n, k: k, alpha: 0.5,
                           a: a.pointer + i * k * m, lda: m, b: b.pointer + i * k * n, ldb: n,
                           beta: 1, c: c.pointer + i * m * n, ldc: n)
            }
        }
        let serial = Tensor(zeros: [items, m, n])
        run(serial) { count, body in for i in 0..<count { body(i) } }

        let threadsBefore = Gemm.blasThreads
        let concurrent = Tensor(shape: [items, m, n], repeating: .nan)
        let workers = Gemm.concurrentWorkers(items)
        XCTAssertEqual(workers, min(Parallel.cores, items))
        let lock = NSLock()
        var runs = [Int](repeating: 0, count: items), busy = Set<Int>(), overlaps = 0, badWorkers = 0
        run(concurrent) { count, body in
            Gemm.concurrentProducts(count) { item, worker in
                lock.lock()
                runs[item] += 1
                if !(0..<workers).contains(worker) { badWorkers += 1 }
                if !busy.insert(worker).inserted { overlaps += 1 }
                lock.unlock()
                body(item)
                lock.lock()
                busy.remove(worker)
                lock.unlock()
            }
        }
        XCTAssertEqual(concurrent.array, serial.array)
        XCTAssertEqual(runs, [Int](repeating: 1, count: items))
        XCTAssertEqual(badWorkers, 0)
        XCTAssertEqual(overlaps, 0)
        XCTAssertEqual(Gemm.blasThreads, threadsBefore)
    }

    func testNoItemsRunsNothing() {
        Gemm.concurrentProducts(0) { _, _ in XCTFail("no item should run") }
    }
}
