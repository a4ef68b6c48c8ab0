import XCTest
@testable import Tensor

final class TensorViewTests: XCTestCase {
    func testRowsViewWritesThroughToStorage() {
        let t = Tensor(shape: [4, 3], values: (0..<12).map(Float.init))
        let middle = t.rows(1..<3)
        XCTAssertEqual(middle.shape, [2, 3])
        XCTAssertEqual(middle.array, [3, 4, 5, 6, 7, 8])
        middle.pointer[0] = 100
        middle.fill(-1)
        XCTAssertEqual(t.array, [0, 1, 2, -1, -1, -1, -1, -1, -1, 9, 10, 11])
    }

    func testReshapedSharesStorage() {
        let t = Tensor(shape: [2, 6], values: (0..<12).map(Float.init))
        let r = t.reshaped([3, 2, 2])
        XCTAssertEqual(r.rows, 6)
        XCTAssertEqual(r.columns, 2)
        r.pointer[5] = 50
        XCTAssertEqual(t.array[5], 50)
        Elementwise.scale(r, by: 2, into: r)
        XCTAssertEqual(t.array, [0, 2, 4, 6, 8, 100, 12, 14, 16, 18, 20, 22])
    }

    func testSubscriptSlicesAlongFirstDimension() {
        let t = Tensor(shape: [2, 3, 2], values: (0..<12).map(Float.init))
        let second = t[1]
        XCTAssertEqual(second.shape, [3, 2])
        XCTAssertEqual(second.array, [6, 7, 8, 9, 10, 11])
        let row = second[2]
        XCTAssertEqual(row.array, [10, 11])
        row.fill(0)
        XCTAssertEqual(t.array, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 0])
        // A view of a view of a view writes through as well.
        t[0].rows(1..<2).fill(7)
        XCTAssertEqual(Array(t.array[0..<6]), [0, 1, 7, 7, 4, 5])
    }

    func testCopyIsIndependent() {
        let t = Tensor(shape: [3], values: [1, 2, 3])
        let c = t.copy()
        c.fill(9)
        XCTAssertEqual(t.array, [1, 2, 3])
        let shared = t
        shared.pointer[0] = 5
        XCTAssertEqual(t.array, [5, 2, 3])
    }
}
