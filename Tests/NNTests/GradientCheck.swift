import Tensor
import XCTest

/// A tensor of `shape` with values uniform in `-scale...scale`.
func randomTensor(_ shape: [Int], scale: Float = 1, _ rng: inout SeededGenerator) -> Tensor {
    let n = Tensor.elementCount(shape)
    return Tensor(shape: shape, values: (0..<n).map { _ in Float.random(in: -scale...scale, using: &rng) })
}

/// `Σ y ⊙ w` accumulated in Double: the scalar loss the gradient checks differentiate.
func weightedSum(_ y: Tensor, _ w: Tensor) -> Double {
    precondition(y.count == w.count)
    var s = 0.0
    for i in 0..<y.count { s += Double(y.pointer[i]) * Double(w.pointer[i]) }
    return s
}

/// Compares an analytic gradient with finite differences of `loss` (a Double) taken by
/// perturbing `tensor` in place.
///
/// Each derivative is a central difference Richardson-extrapolated from steps h and h/2
/// (`(4·D(h/2) − D(h)) / 3`, truncation error O(h⁴)); the steps actually taken are measured
/// after rounding to Float. The error is the largest |analytic − numeric| divided by the largest
/// |numeric| over the checked entries, so small entries are judged on the gradient's own scale.
enum GradientCheck {
    struct Result {
        var error: Double
        var scale: Double
        var checked: Int
    }

    static func compare(analytic: [Float], tensor: Tensor, indices: [Int]? = nil,
                        step: Float = 1.0 / 32, loss: () -> Double) -> Result {
        precondition(analytic.count == tensor.count, "analytic gradient size differs from the tensor")
        let p = tensor.pointer
        func central(_ i: Int, _ h: Float) -> Double {
            let original = p[i]
            let up = original + h, down = original - h
            p[i] = up
            let fUp = loss()
            p[i] = down
            let fDown = loss()
            p[i] = original
            return (fUp - fDown) / (Double(up) - Double(down))
        }
        var worst = 0.0, scale = 0.0
        var numeric: [(Int, Double)] = []
        for i in indices ?? Array(0..<tensor.count) {
            let d1 = central(i, step), d2 = central(i, step / 2)
            let d = (4 * d2 - d1) / 3
            numeric.append((i, d))
            scale = max(scale, abs(d))
        }
        _ = loss()  // leave the layers' caches as they were for the unperturbed input
        for (i, d) in numeric { worst = max(worst, abs(Double(analytic[i]) - d)) }
        return Result(error: worst / max(scale, 1e-30), scale: scale, checked: numeric.count)
    }

    /// Asserts the relative error is within `tolerance` and that the gradient is not trivially
    /// zero (a check against zeros cannot fail otherwise).
    static func assertClose(_ name: String, analytic: [Float], tensor: Tensor, indices: [Int]? = nil,
                            step: Float = 1.0 / 32, tolerance: Double = 1e-3,
                            file: StaticString = #filePath, line: UInt = #line,
                            loss: () -> Double) {
        let r = compare(analytic: analytic, tensor: tensor, indices: indices, step: step, loss: loss)
        print("gradient check \(name): relative error \(String(format: "%.2e", r.error)) over \(r.checked) entries (scale \(String(format: "%.3g", r.scale)))")
        XCTAssertLessThanOrEqual(r.error, tolerance, "\(name): relative error \(r.error)", file: file, line: line)
        XCTAssertGreaterThan(r.scale, 1e-4, "\(name): gradient is ~0, the check proves nothing", file: file, line: line)
    }
}

/// Largest |a − b| between two float sequences.
func maxAbsDifference(_ a: [Float], _ b: [Double]) -> Double {
    precondition(a.count == b.count, "sizes differ: \(a.count) vs \(b.count)")
    var m = 0.0
    for i in 0..<a.count { m = max(m, abs(Double(a[i]) - b[i])) }
    return m
}

final class GradientCheckSelfTests: XCTestCase {
    /// The harness must reject a wrong gradient, or every check built on it proves nothing.
    func testHarnessRejectsAWrongGradient() {
        var rng = SeededGenerator(seed: 99)
        let x = randomTensor([6], &rng)
        // loss = Σ x_i³, gradient 3 x_i².
        let loss = { (0..<6).reduce(0.0) { $0 + pow(Double(x.pointer[$1]), 3) } }
        let right = (0..<6).map { 3 * x.pointer[$0] * x.pointer[$0] }
        var wrong = right
        wrong[2] *= 1.01
        XCTAssertLessThan(GradientCheck.compare(analytic: right, tensor: x, loss: loss).error, 1e-6)
        XCTAssertGreaterThan(GradientCheck.compare(analytic: wrong, tensor: x, loss: loss).error, 1e-3)
    }
}
