import Foundation
import Tensor
import XCTest
@testable import Training

/// AdamW, the warm-up schedules and gradient clipping against torch + transformers, step by step.
final class OptimizerTests: XCTestCase {
    /// Largest |a − b| / max(|b|, floor) over the two arrays.
    func relativeError(_ a: [Float], _ b: [Float], floor: Float = 1e-3) -> Float {
        precondition(a.count == b.count)
        return zip(a, b).map { abs($0 - $1) / max(abs($1), floor) }.max() ?? 0
    }

    func testAdamWScheduleAndClippingMatchPyTorch() throws {
        let fixture = try OptimizerFixture.load()
        XCTAssertEqual(fixture.runs.count, 3)
        var worstParameter: Float = 0, worstGradient: Float = 0, worstNorm = 0.0
        var clippedSteps = 0, unclippedSteps = 0
        for run in fixture.runs {
            let names = ["layer.R", "layer.bias", "head.weight"]
            let parameters = names.map { name in
                TrainableParameter(name: name,
                                   value: Tensor(shape: run.shapes[name]!, values: run.initial[name]!),
                                   gradient: Tensor(zeros: run.shapes[name]!),
                                   weightDecay: run.weight_decay[name]!)
            }
            let optimizer = try AdamW(parameters: parameters, beta1: run.beta1, beta2: run.beta2,
                                  epsilon: run.epsilon)
            let decay = try XCTUnwrap(LearningRateSchedule.Decay(rawValue: run.schedule))
            let schedule = try LearningRateSchedule(peak: run.learning_rate, decay: decay,
                                                warmupRatio: run.warmup_ratio, totalSteps: run.total_steps)
            XCTAssertEqual(schedule.warmupSteps, run.warmup_steps, run.name)
            for (k, step) in run.steps.enumerated() {
                for p in parameters { p.gradient.copy(from: Tensor(shape: p.gradient.shape, values: step.gradients[p.name]!)) }
                let lr = schedule.learningRate(atStep: k)
                XCTAssertEqual(lr, step.learning_rate, accuracy: 1e-15, "\(run.name) step \(k)")
                let norm = GradientClipping.clip(parameters.map(\.gradient), maxNorm: run.max_grad_norm)
                XCTAssertEqual(norm, step.gradient_norm, accuracy: 2e-6 * step.gradient_norm, "\(run.name) step \(k)")
                worstNorm = max(worstNorm, abs(norm - step.gradient_norm) / step.gradient_norm)
                if norm > run.max_grad_norm { clippedSteps += 1 } else { unclippedSteps += 1 }
                for p in parameters {
                    worstGradient = max(worstGradient, relativeError(p.gradient.array, step.clipped_gradients[p.name]!))
                }
                optimizer.step(learningRate: lr)
                for p in parameters {
                    let e = relativeError(p.value.array, step.parameters[p.name]!)
                    worstParameter = max(worstParameter, e)
                    XCTAssertLessThan(e, 1e-6, "\(run.name) step \(k) \(p.name)")
                }
            }
            XCTAssertEqual(optimizer.stepCount, run.total_steps)
        }
        XCTAssertLessThan(worstGradient, 1e-6)
        XCTAssertGreaterThan(clippedSteps, 5, "the fixture exercises clipping")
        XCTAssertGreaterThan(unclippedSteps, 5, "and steps below the threshold")
        print("AdamW vs torch: worst parameter relative error \(worstParameter), clipped gradient \(worstGradient), norm \(worstNorm)")
    }

    func testSchedulesMatchTransformers() throws {
        let fixture = try ScheduleFixture.load()
        for table in fixture.tables {
            XCTAssertEqual(try LearningRateSchedule.warmupSteps(ratio: table.warmup_ratio, totalSteps: table.total_steps),
                           table.warmup_steps, "total \(table.total_steps) ratio \(table.warmup_ratio)")
            for (decay, expected) in [(LearningRateSchedule.Decay.cosine, table.cosine),
                                      (.linear, table.linear), (.constant, table.constant)] {
                let s = try LearningRateSchedule(peak: 2e-4, decay: decay, warmupSteps: table.warmup_steps,
                                             totalSteps: table.total_steps)
                for (step, m) in expected.enumerated() {
                    XCTAssertEqual(s.multiplier(atStep: step), m, accuracy: 1e-15,
                                   "\(decay) total \(table.total_steps) step \(step)")
                }
            }
        }
        // Hand-checked points: 100 steps, 6 warm-up; step 3 is halfway up, cosine halfway down at 53.
        let s = try LearningRateSchedule(peak: 1, decay: .cosine, warmupRatio: 0.06, totalSteps: 100)
        XCTAssertEqual(s.warmupSteps, 6)
        XCTAssertEqual(s.multiplier(atStep: 0), 0)
        XCTAssertEqual(s.multiplier(atStep: 3), 0.5)
        XCTAssertEqual(s.multiplier(atStep: 6), 1)
        XCTAssertEqual(s.multiplier(atStep: 53), 0.5, accuracy: 1e-12)
        XCTAssertEqual(s.multiplier(atStep: 100), 0, accuracy: 1e-15)
    }

    func testClippingBelowThresholdLeavesGradientsAndReportsNorm() {
        let a = Tensor(shape: [2], values: [3, 0]), b = Tensor(shape: [1], values: [4])
        XCTAssertEqual(GradientClipping.clip([a, b], maxNorm: 10), 5)
        XCTAssertEqual(a.array + b.array, [3, 0, 4])
        XCTAssertEqual(GradientClipping.clip([a, b], maxNorm: 1), 5)
        XCTAssertEqual(a.array[0], Float(3.0 / (5 + 1e-6)), accuracy: 1e-7)
        XCTAssertEqual(b.array[0], Float(4.0 / (5 + 1e-6)), accuracy: 1e-7)
        // A long gradient exercises the vector loop and its tail.
        let long = Tensor(shape: [1001], values: (0..<1001).map { Float($0 % 7) - 3 })
        let expected = (0..<1001).map { Double($0 % 7) - 3 }.reduce(0) { $0 + $1 * $1 }.squareRoot()
        XCTAssertEqual(GradientClipping.globalNorm([long]), expected, accuracy: 1e-9)
        let bad = Tensor(shape: [2], values: [1, .nan])
        XCTAssertTrue(GradientClipping.clip([bad], maxNorm: 1).isNaN)
        XCTAssertEqual(bad.array[0], 1, "non-finite norm leaves the gradients for the caller to skip")
        // maxNorm 0 turns clipping off (Transformers' max_grad_norm = 0) but still measures.
        let c = Tensor(shape: [2], values: [30, 40])
        XCTAssertEqual(GradientClipping.clip([c], maxNorm: 0), 50)
        XCTAssertEqual(c.array, [30, 40])
    }

    func testUnusableSettingsAreErrors() throws {
        let p = TrainableParameter(name: "w", value: Tensor(zeros: [2]), gradient: Tensor(zeros: [2]))
        XCTAssertThrowsError(try AdamW(parameters: [p], beta1: 1)) { XCTAssertEqual("\($0)", "beta1: 1.0 is not in [0.0, 1.0)") }
        XCTAssertThrowsError(try AdamW(parameters: [p], beta2: -0.1))
        XCTAssertThrowsError(try AdamW(parameters: [p], weightDecay: .nan))
        XCTAssertThrowsError(try AdamW(parameters: [TrainableParameter(name: "w", value: p.value, gradient: p.gradient, weightDecay: -1)]))
        XCTAssertThrowsError(try LearningRateSchedule(peak: 1e-4, decay: .cosine, warmupRatio: 1.5, totalSteps: 10)) {
            XCTAssertEqual("\($0)", "warmupRatio: 1.5 is not in [0.0, 1.0]")
        }
        XCTAssertThrowsError(try LearningRateSchedule(peak: -1, decay: .linear, warmupSteps: 0, totalSteps: 10))
        XCTAssertThrowsError(try LearningRateSchedule(peak: 1, decay: .linear, warmupSteps: -1, totalSteps: 10))
        XCTAssertThrowsError(try SequenceTruncation(maxLength: 0))
        XCTAssertThrowsError(try BatchSampler(lengths: [1, 2], batchSize: 0, seed: 1)) {
            XCTAssertEqual("\($0)", "batchSize: 0 is less than 1")
        }
        XCTAssertThrowsError(try BatchLoader.evaluationBatches([TokenizedExample(tokens: [1])], batchSize: 0, padTokenID: 0))
    }

    func testStateRestoreResumesBitForBit() throws {
        func makeParameters() -> [TrainableParameter] {
            [TrainableParameter(name: "a", value: Tensor(shape: [4, 3], values: (0..<12).map { Float($0) * 0.1 - 0.5 }),
                                gradient: Tensor(zeros: [4, 3])),
             TrainableParameter(name: "b", value: Tensor(shape: [5], values: [1, -2, 3, -4, 5]),
                                gradient: Tensor(zeros: [5]), weightDecay: 0)]
        }
        func gradients(_ step: Int, into parameters: [TrainableParameter]) {
            for (i, p) in parameters.enumerated() {
                for j in 0..<p.gradient.count { p.gradient.pointer[j] = sin(Float(step * 31 + i * 7 + j)) }
            }
        }
        let reference = makeParameters()
        let full = try AdamW(parameters: reference)
        var saved: AdamWState?
        var savedValues: [[Float]] = []
        for step in 0..<12 {
            if step == 5 { saved = full.state(); savedValues = reference.map(\.value.array) }
            gradients(step, into: reference)
            full.step(learningRate: 0.01)
        }
        let resumed = makeParameters()
        for (p, values) in zip(resumed, savedValues) { p.value.copy(from: Tensor(shape: p.value.shape, values: values)) }
        let optimizer = try AdamW(parameters: resumed.reversed())
        var state = try XCTUnwrap(saved)
        // Order of entries in the saved state does not matter; names do.
        state.names.reverse(); state.firstMoments.reverse(); state.secondMoments.reverse()
        try optimizer.restore(state)
        XCTAssertEqual(optimizer.stepCount, 5)
        for step in 5..<12 {
            gradients(step, into: resumed)
            optimizer.step(learningRate: 0.01)
        }
        for (a, b) in zip(reference, resumed) {
            XCTAssertEqual(a.value.array.map(\.bitPattern), b.value.array.map(\.bitPattern), a.name)
        }
    }

    func testRestoreRejectsMismatchedState() throws {
        let p = TrainableParameter(name: "w", value: Tensor(zeros: [2, 2]), gradient: Tensor(zeros: [2, 2]))
        let optimizer = try AdamW(parameters: [p])
        let good = optimizer.state()
        var renamed = good; renamed.names = ["v"]
        XCTAssertThrowsError(try optimizer.restore(renamed)) { XCTAssertTrue("\($0)".contains("\"v\""), "\($0)") }
        var reshaped = good; reshaped.firstMoments = [Tensor(zeros: [4])]
        XCTAssertThrowsError(try optimizer.restore(reshaped)) { XCTAssertTrue("\($0)".contains("shape"), "\($0)") }
        var short = good; short.secondMoments = []
        XCTAssertThrowsError(try optimizer.restore(short))
        var negative = good; negative.step = -1
        XCTAssertThrowsError(try optimizer.restore(negative))
        XCTAssertNoThrow(try optimizer.restore(good))
    }
}
