import Foundation
import Tensor
import XCTest
@testable import Training

final class RandomStateTests: XCTestCase {
    func testMatchesReferenceXoshiroAndSplitMix() throws {
        // SplitMix64 from 1234567 gives 6457827717110365317, 3203168211198807973, ... (the
        // reference C implementation's published outputs); xoshiro256** values from an
        // independent implementation of the reference algorithm.
        XCTAssertEqual(Array(SeededGenerator(seed: 1_234_567).state.prefix(3)),
                       [6_457_827_717_110_365_317, 3_203_168_211_198_807_973, 9_817_491_932_198_370_423])
        var g = SeededGenerator(seed: 42)
        XCTAssertEqual((0..<4).map { _ in g.next() },
                       [1_546_998_764_402_558_742, 6_990_951_692_964_543_102,
                        12_544_586_762_248_559_009, 17_057_574_109_182_124_193])
        var z = SeededGenerator(seed: 0)
        XCTAssertEqual([z.next(), z.next()], [11_091_344_671_253_066_420, 13_793_997_310_169_335_082])
    }

    func testBoundedIndicesAreUniform() {
        var g = SeededGenerator(seed: 7)
        var counts = [Int](repeating: 0, count: 6)
        for _ in 0..<60_000 { counts[g.nextInt(below: 6)] += 1 }
        // Each bucket expects 10,000 (σ ≈ 91): ±500 is over 5σ.
        for c in counts { XCTAssertEqual(Double(c), 10_000, accuracy: 500) }
        XCTAssertEqual(g.nextInt(below: 1), 0)
        let big = Int.max
        XCTAssertTrue((0..<big).contains(g.nextInt(below: big)))
    }

    func testShuffleIsAPermutationAndStateRoundTrips() throws {
        var g = SeededGenerator(seed: 3)
        var values = Array(0..<100)
        g.shuffle(&values)
        XCTAssertNotEqual(values, Array(0..<100))
        XCTAssertEqual(values.sorted(), Array(0..<100))
        let data = try JSONEncoder().encode(g)
        var restored = try JSONDecoder().decode(SeededGenerator.self, from: data)
        XCTAssertEqual(restored, g)
        XCTAssertEqual(restored.next(), g.next())
        XCTAssertThrowsError(try SeededGenerator(state: [0, 0, 0, 0]))
        XCTAssertThrowsError(try SeededGenerator(state: [1, 2, 3]))
        XCTAssertThrowsError(try JSONDecoder().decode(SeededGenerator.self, from: Data("[0,0,0,0]".utf8)))
    }
}

final class BatchCollatorTests: XCTestCase {
    func testLanguageModellingPaddingMaskAndLabels() {
        let examples = [
            TokenizedExample(prompt: [10, 11], completion: [12, 13, 14]),
            TokenizedExample(tokens: [20, 21]),
            TokenizedExample(tokens: [30, 31, 32], targetMask: [false, true, false]),
        ]
        let batch = BatchCollator(padTokenID: 0).collate(examples, indices: [0, 1, 2])
        XCTAssertEqual(batch.rows, 3)
        XCTAssertEqual(batch.sequenceLength, 5)
        XCTAssertEqual(batch.tokenIDs, [10, 11, 12, 13, 14,
                                        20, 21, 0, 0, 0,
                                        30, 31, 32, 0, 0])
        XCTAssertEqual(batch.attentionMask, [1, 1, 1, 1, 1,
                                             1, 1, 0, 0, 0,
                                             1, 1, 1, 0, 0])
        XCTAssertEqual(batch.labels, .tokens([-100, -100, 12, 13, 14,
                                              20, 21, -100, -100, -100,
                                              -100, 31, -100, -100, -100]))
        XCTAssertEqual(batch.lengths, [5, 2, 3])
        XCTAssertEqual(batch.tokenCount, 10)
        XCTAssertEqual(batch.targetCount, 6)
        XCTAssertEqual(examples[0].targetCount, 3)
    }

    func testClassificationBatch() {
        let examples = [TokenizedExample(tokens: [101, 7, 102], label: 1),
                        TokenizedExample(tokens: [101, 102], label: 0)]
        let batch = BatchCollator(padTokenID: 0).collate(examples, indices: [1, 0])
        XCTAssertEqual(batch.exampleIndices, [1, 0])
        XCTAssertEqual(batch.tokenIDs, [101, 102, 0, 101, 7, 102])
        XCTAssertEqual(batch.attentionMask, [1, 1, 0, 1, 1, 1])
        XCTAssertEqual(batch.labels, .classes([0, 1]))
        XCTAssertEqual(batch.targetCount, 2)
    }

    func testTruncationCountsAndDrops() throws {
        let examples = [
            TokenizedExample(tokens: [1, 2, 3]),                       // fits
            TokenizedExample(tokens: Array(0..<10)),                   // cut by 6
            TokenizedExample(prompt: [1, 2, 3, 4, 5], completion: [6]), // completion lost: dropped
            TokenizedExample(prompt: [1, 2, 3], completion: [4, 5, 6]), // keeps one target
            TokenizedExample(tokens: Array(0..<7), label: 2),          // classification: cut, kept
            TokenizedExample(tokens: []),                              // empty: dropped
        ]
        let (kept, sources, report) = try SequenceTruncation(maxLength: 4).apply(examples)
        XCTAssertEqual(sources, [0, 1, 3, 4])
        XCTAssertEqual(kept.map(\.tokens), [[1, 2, 3], [0, 1, 2, 3], [1, 2, 3, 4], [0, 1, 2, 3]])
        XCTAssertEqual(kept[2].targetMask, [false, false, false, true])
        XCTAssertEqual(kept[3].label, 2)
        XCTAssertEqual(report.truncatedExamples, 4)
        XCTAssertEqual(report.removedTokens, 6 + 2 + 2 + 3)
        XCTAssertEqual(report.droppedExamples, 2)
        XCTAssertEqual(report.longestExample, 10)
    }
}

final class BatchSamplerTests: XCTestCase {
    /// Lengths spread like tokenised GSM8K answers (60 to 400 tokens).
    func lengths(_ n: Int) -> [Int] {
        var g = SeededGenerator(seed: 99)
        return (0..<n).map { _ in 60 + g.nextInt(below: 340) }
    }

    func drain(_ sampler: inout BatchSampler, _ count: Int) -> [(Int, [Int])] {
        (0..<count).map { _ in sampler.next() }
    }

    func testEveryEpochCoversEveryExampleOnce() throws {
        for ordering in [BatchOrdering.shuffled, .lengthGrouped, .lengthGrouped(megabatchFactor: 2), .sequential, .longestFirst] {
            var sampler = try BatchSampler(lengths: lengths(103), batchSize: 8, ordering: ordering, seed: 1)
            XCTAssertEqual(sampler.batchesPerEpoch, 13)
            for epoch in 0..<3 {
                let batches = drain(&sampler, 13)
                XCTAssertTrue(batches.allSatisfy { $0.0 == epoch })
                XCTAssertEqual(batches.flatMap(\.1).sorted(), Array(0..<103), "\(ordering) epoch \(epoch)")
                XCTAssertEqual(batches.filter { $0.1.count == 8 }.count, 12)
            }
            XCTAssertEqual(sampler.next().epoch, 3)
        }
    }

    func testDropLastAndTooFewExamples() throws {
        var sampler = try BatchSampler(lengths: lengths(103), batchSize: 8, dropLast: true, seed: 1)
        XCTAssertEqual(sampler.batchesPerEpoch, 12)
        let epoch = drain(&sampler, 12)
        XCTAssertTrue(epoch.allSatisfy { $0.1.count == 8 })
        XCTAssertEqual(Set(epoch.flatMap(\.1)).count, 96)
        XCTAssertThrowsError(try BatchSampler(lengths: [3, 4], batchSize: 8, dropLast: true, seed: 1))
        XCTAssertThrowsError(try BatchSampler(lengths: [], batchSize: 8, seed: 1))
        XCTAssertEqual(try BatchSampler(lengths: [3, 4], batchSize: 8, seed: 1).batchesPerEpoch, 1)
    }

    func testLengthGroupingCutsPaddingAndStaysRandom() throws {
        let l = lengths(2_000)
        func paddingFraction(_ ordering: BatchOrdering) throws -> Double {
            var sampler = try BatchSampler(lengths: l, batchSize: 8, ordering: ordering, seed: 5)
            var padded = 0, real = 0
            for _ in 0..<sampler.batchesPerEpoch {
                let b = sampler.next().indices.map { l[$0] }
                padded += b.count * (b.max() ?? 0)
                real += b.reduce(0, +)
            }
            return Double(padded - real) / Double(padded)
        }
        let random = try paddingFraction(.shuffled)
        let grouped = try paddingFraction(.lengthGrouped)
        XCTAssertGreaterThan(random, 0.25)
        XCTAssertLessThan(grouped, 0.02)
        var sampler = try BatchSampler(lengths: l, batchSize: 8, ordering: .lengthGrouped, seed: 5)
        let firstLengths = drain(&sampler, 10).map { $0.1.map { l[$0] }.max() ?? 0 }
        XCTAssertNotEqual(firstLengths, firstLengths.sorted(by: >), "batch order is shuffled, not longest first")
        for (_, batch) in drain(&sampler, 50) {
            let b = batch.map { l[$0] }
            XCTAssertEqual(b, b.sorted(by: >), "a batch is a sorted run of its megabatch")
        }
    }

    func testSeedsReproduceAndEpochsDiffer() throws {
        var a = try BatchSampler(lengths: lengths(64), batchSize: 4, seed: 11)
        var b = try BatchSampler(lengths: lengths(64), batchSize: 4, seed: 11)
        var c = try BatchSampler(lengths: lengths(64), batchSize: 4, seed: 12)
        let ea = drain(&a, 32), eb = drain(&b, 32), ec = drain(&c, 32)
        XCTAssertEqual(ea.map(\.1), eb.map(\.1))
        XCTAssertNotEqual(ea.map(\.1), ec.map(\.1))
        XCTAssertNotEqual(ea[0..<16].map(\.1), ea[16..<32].map(\.1), "each epoch draws a new order")
    }

    func testRestoreContinuesExactly() throws {
        var reference = try BatchSampler(lengths: lengths(50), batchSize: 4, seed: 21)
        let expected = drain(&reference, 60)
        // Save at several points: mid-epoch, at an epoch's end, at the very start.
        for cut in [0, 5, 13, 26, 31] {
            var first = try BatchSampler(lengths: lengths(50), batchSize: 4, seed: 21)
            _ = drain(&first, cut)
            let saved = try JSONDecoder().decode(BatchSampler.State.self,
                                                 from: JSONEncoder().encode(first.state))
            var resumed = try BatchSampler(lengths: lengths(50), batchSize: 4, seed: 999)
            try resumed.restore(saved)
            let rest = drain(&resumed, 60 - cut)
            XCTAssertEqual(rest.map(\.0), expected[cut...].map(\.0), "cut \(cut)")
            XCTAssertEqual(rest.map(\.1), expected[cut...].map(\.1), "cut \(cut)")
        }
    }

    func testRestoreRejectsForeignState() throws {
        var sampler = try BatchSampler(lengths: lengths(50), batchSize: 4, seed: 21)
        _ = drain(&sampler, 3)
        let saved = sampler.state
        var other = try BatchSampler(lengths: lengths(51), batchSize: 4, seed: 21)
        XCTAssertThrowsError(try other.restore(saved))
        var beyond = saved
        beyond.position = 14
        var same = try BatchSampler(lengths: lengths(50), batchSize: 4, seed: 21)
        let before = same.state
        XCTAssertThrowsError(try same.restore(beyond))
        XCTAssertEqual(same.state, before, "a rejected state changes nothing")
        beyond.position = -1
        XCTAssertThrowsError(try same.restore(beyond))
    }

    func testLoaderAndEvaluationBatches() throws {
        let examples = (0..<10).map { TokenizedExample(tokens: Array(repeating: 5, count: 1 + $0 % 4), label: $0 % 2) }
        var loader = try BatchLoader(examples: examples, batchSize: 3, padTokenID: 0, seed: 4)
        XCTAssertEqual(loader.batchesPerEpoch, 4)
        var seen: [Int] = []
        for _ in 0..<4 {
            let (epoch, batch) = loader.next()
            XCTAssertEqual(epoch, 0)
            XCTAssertEqual(batch.labels, .classes(batch.exampleIndices.map { $0 % 2 }))
            seen += batch.exampleIndices
        }
        XCTAssertEqual(seen.sorted(), Array(0..<10))
        let eval = try BatchLoader.evaluationBatches(examples, batchSize: 4, padTokenID: 0)
        XCTAssertEqual(eval.flatMap(\.exampleIndices).sorted(), Array(0..<10))
        XCTAssertEqual(eval.map(\.sequenceLength), [4, 2, 1])
        XCTAssertEqual(eval.map(\.exampleIndices), [[3, 7, 2, 6], [1, 5, 9, 0], [4, 8]])
    }
}
