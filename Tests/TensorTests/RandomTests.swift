import XCTest
@testable import Tensor

final class RandomTests: XCTestCase {
    func testBitGeneratorsMatchPublishedSequences() {
        // SplitMix64 from state 0 and xoshiro256** from state {1, 2, 3, 4}: the reference
        // outputs of the authors' C implementations.
        var mixer = SplitMix64(state: 0)
        XCTAssertEqual([mixer.next(), mixer.next(), mixer.next()],
                       [0xE220_A839_7B1D_CDAF, 0x6E78_9E6A_A1B9_65F4, 0x06C4_5D18_8009_454F])
        var xoshiro = SeededGenerator(state: (1, 2, 3, 4))
        XCTAssertEqual((0..<4).map { _ in xoshiro.next() },
                       [11_520, 0, 1_509_978_240, 1_215_971_899_390_074_240])
        // Seeding is SplitMix64 of the seed into the four state words: pinned so that a change
        // to seeding (which would change every initialisation and data order) cannot go unseen.
        var seeded = SeededGenerator(seed: 42)
        XCTAssertEqual((0..<3).map { _ in seeded.next() },
                       [0x1578_0B2E_0C2E_C716, 0x6104_D986_6D11_3A7E, 0xAE17_5332_39E4_99A1])
    }

    func testSameSeedSameValuesDifferentSeedDifferentValues() {
        var a = SeededGenerator(seed: 7), b = SeededGenerator(seed: 7), c = SeededGenerator(seed: 8)
        let drawsA = (0..<1000).map { _ in a.normal() }
        XCTAssertEqual(drawsA, (0..<1000).map { _ in b.normal() })
        XCTAssertNotEqual(drawsA, (0..<1000).map { _ in c.normal() })

        let t1 = Tensor(zeros: [200_003]), t2 = Tensor(zeros: [200_003])
        var g1 = SeededGenerator(seed: 9), g2 = SeededGenerator(seed: 9)
        g1.fillNormal(t1)
        g2.fillNormal(t2)
        XCTAssertEqual(t1.array, t2.array)
        // A fill consumes exactly one draw, so the generators stay in step.
        XCTAssertEqual(g1.next(), g2.next())
        // Blocks are seeded by position only: a shorter fill from the same state is a prefix.
        let short = Tensor(zeros: [70_000])
        var g3 = SeededGenerator(seed: 9)
        g3.fillNormal(short)
        XCTAssertEqual(short.array, Array(t1.array[0..<70_000]))
    }

    func testUniformMoments() {
        var g = SeededGenerator(seed: 11)
        let n = 1_000_000
        let t = Tensor(zeros: [n])
        g.fillUniform(t, lower: -2, upper: 6)
        let values = t.array
        XCTAssertGreaterThanOrEqual(values.min() ?? -3, -2)
        XCTAssertLessThan(values.max() ?? 7, 6)
        let (mean, variance) = moments(values)
        // Uniform on [−2, 6): mean 2, variance 64/12; the standard error of the mean is 0.0023.
        XCTAssertEqual(mean, 2, accuracy: 0.012)
        XCTAssertEqual(variance, 64.0 / 12, accuracy: 0.03)
        // Scalar draws in [0, 1).
        let draws = (0..<n).map { _ in g.nextFloat() }
        XCTAssertGreaterThanOrEqual(draws.min() ?? -1, 0)
        XCTAssertLessThan(draws.max() ?? 2, 1)
        XCTAssertEqual(moments(draws).mean, 0.5, accuracy: 0.0015)
    }

    func testNormalMoments() {
        var g = SeededGenerator(seed: 12)
        let n = 1_000_000
        let t = Tensor(zeros: [n])
        g.fillNormal(t, mean: 3, standardDeviation: 2)
        let (mean, variance) = moments(t.array)
        XCTAssertEqual(mean, 3, accuracy: 0.01)          // standard error 0.002
        XCTAssertEqual(variance, 4, accuracy: 0.03)      // standard error 0.0057
        // Fourth standardised moment of a normal is 3 (uniform would give 1.8).
        let kurtosis = t.array.reduce(0.0) { $0 + pow((Double($1) - mean), 4) } / Double(n) / (variance * variance)
        XCTAssertEqual(kurtosis, 3, accuracy: 0.05)
        // About 68.27 % within one standard deviation.
        let within = t.array.filter { abs($0 - 3) < 2 }.count
        XCTAssertEqual(Double(within) / Double(n), 0.6827, accuracy: 0.003)
    }

    func testKaimingUniformBounds() {
        XCTAssertEqual(SeededGenerator.kaimingUniformBound(fanIn: 576), 1.0 / 24, accuracy: 1e-7)
        XCTAssertEqual(SeededGenerator.kaimingUniformBound(fanIn: 100, a: 0), Float((6.0 / 100).squareRoot()),
                       accuracy: 1e-7)
        var g = SeededGenerator(seed: 13)
        let w = Tensor(zeros: [1536, 576])            // [out, in]: fan-in is 576
        let bound = g.kaimingUniform(w)
        XCTAssertEqual(bound, 1.0 / 24, accuracy: 1e-7)
        let values = w.array
        XCTAssertLessThanOrEqual(values.map(abs).max() ?? 1, bound)
        XCTAssertGreaterThan(values.map(abs).max() ?? 0, 0.999 * bound)
        let (mean, variance) = moments(values)
        XCTAssertEqual(mean, 0, accuracy: 1.3e-4)              // standard error 2.6e-5
        XCTAssertEqual(variance, Double(bound * bound) / 3, accuracy: 3e-6) // standard error 5.5e-7
    }

    func testBoundedIntegersAreUniform() {
        var g = SeededGenerator(seed: 14)
        var counts = [Int](repeating: 0, count: 7)
        let n = 700_000
        for _ in 0..<n { counts[g.nextInt(below: 7)] += 1 }
        // Chi-square with 6 degrees of freedom: 22.5 is its 99.9th percentile.
        let chiSquare = counts.reduce(0.0) { $0 + pow(Double($1) - 100_000, 2) / 100_000 }
        XCTAssertLessThan(chiSquare, 22.5, "\(counts)")
        XCTAssertEqual(g.nextInt(below: 1), 0)
    }

    func testShuffleIsAReproduciblePermutation() {
        var a = SeededGenerator(seed: 15), b = SeededGenerator(seed: 15), c = SeededGenerator(seed: 16)
        let p = a.permutation(1000)
        XCTAssertEqual(p.sorted(), Array(0..<1000))
        XCTAssertNotEqual(p, Array(0..<1000))
        XCTAssertEqual(p, b.permutation(1000))
        XCTAssertNotEqual(p, c.permutation(1000))
        XCTAssertEqual(a.permutation(0), [])
        XCTAssertEqual(a.permutation(1), [0])

        // Each element lands in each position equally often.
        var g = SeededGenerator(seed: 17)
        var firstPosition = [Int](repeating: 0, count: 5)
        for _ in 0..<50_000 {
            var items = [0, 1, 2, 3, 4]
            g.shuffle(&items)
            firstPosition[items[0]] += 1
        }
        let chiSquare = firstPosition.reduce(0.0) { $0 + pow(Double($1) - 10_000, 2) / 10_000 }
        XCTAssertLessThan(chiSquare, 18.5, "\(firstPosition)")   // 4 dof, 99.9th percentile
    }

    private func moments(_ values: [Float]) -> (mean: Double, variance: Double) {
        let n = Double(values.count)
        let mean = values.reduce(0.0) { $0 + Double($1) } / n
        let variance = values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / n
        return (mean, variance)
    }
}
