import XCTest
@testable import Tensor

/// A tensor of `shape` with reproducible values uniform in [-1, 1).
func randomTensor(_ shape: [Int], seed: UInt64) -> Tensor {
    var generator = SeededGenerator(seed: seed)
    let t = Tensor(zeros: shape)
    generator.fillUniform(t, lower: -1, upper: 1)
    return t
}

/// Element counts that exercise every path of the kernels: empty, below one vector, exactly one
/// vector, vector plus tail, several vectors, just past one chunk, and large enough to be split
/// over the cores (the threshold is 16,384 elements per chunk) at a size that is neither a
/// multiple of 16 nor of the chunk size.
let kernelSizes = [0, 1, 7, 15, 16, 17, 33, 1_000, 16_383, 16_385, 40_001, 100_003]

/// Fails when `actual` and `expected` differ anywhere by more than
/// `absolute + relative · |expected|`.
func assertClose(_ actual: [Float], _ expected: [Float], absolute: Float = 1e-6,
                 relative: Float = 1e-5, _ message: String = "",
                 file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(actual.count, expected.count, "count \(message)", file: file, line: line)
    var worst = 0, worstExcess: Float = 0
    for i in 0..<min(actual.count, expected.count) {
        let allowed = absolute + relative * abs(expected[i])
        let excess = abs(actual[i] - expected[i]) - allowed
        if !(excess <= worstExcess) { worst = i; worstExcess = excess.isNaN ? .infinity : excess }
    }
    if worstExcess > 0 {
        XCTFail("\(message): element \(worst) is \(actual[worst]), expected \(expected[worst])",
                file: file, line: line)
    }
}

/// Naive row-major product `op(a) · op(b)` in fp64.
func naiveProduct(_ a: [Float], _ b: [Float], m: Int, n: Int, k: Int,
                  transposeA: Bool, transposeB: Bool) -> [Double] {
    var c = [Double](repeating: 0, count: m * n)
    for i in 0..<m {
        for j in 0..<n {
            var s = 0.0
            for p in 0..<k {
                let x = transposeA ? a[p * m + i] : a[i * k + p]
                let y = transposeB ? b[j * k + p] : b[p * n + j]
                s += Double(x) * Double(y)
            }
            c[i * n + j] = s
        }
    }
    return c
}
