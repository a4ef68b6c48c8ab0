import Foundation
import Testing
@testable import LoRASB
import TestSupport

/// The task families without a model: the registry, detection from the data, per-family
/// defaults, and how problems are prompted and judged.
@Suite struct TaskFamilyTests {
    static var data: URL { TestPaths.sharedData }
    static func options(_ path: String, family: String? = nil) -> DataOptions {
        DataOptions(path: data.appendingPathComponent(path), taskFamily: family)
    }

    @Test func registryNamesEveryFamilyOnce() throws {
        #expect(TaskFamilies.names == ["commonsense", "math", "gsm8k"])
        #expect(Set(TaskFamilies.names).count == TaskFamilies.all.count)
        #expect(TaskFamilies.named("MATH")?.name == "math")
        #expect(TaskFamilies.named("glue") == nil)
        #expect(throws: SettingError("taskFamily", "unknown task family 'sql': expected one of commonsense, math, gsm8k")) {
            try TaskFamilies.resolve(Self.options("gsm8k", family: "sql"))
        }
        // A named family wins over detection.
        #expect(try TaskFamilies.resolve(Self.options("gsm8k", family: "math"))?.name == "math")
    }

    @Test func familiesAreDetectedFromTheData() throws {
        #expect(try TaskFamilies.resolve(Self.options("gsm8k"))?.name == "gsm8k")
        #expect(try TaskFamilies.resolve(Self.options("gsm8k/test.jsonl"))?.name == "gsm8k")
        #expect(try TaskFamilies.resolve(Self.options("math/math500_test.jsonl"))?.name == "math")
        #expect(try TaskFamilies.resolve(Self.options("commonsense"))?.name == "commonsense")
        #expect(try TaskFamilies.resolve(Self.options("commonsense/piqa"))?.name == "commonsense")
        #expect(try TaskFamilies.resolve(Self.options("commonsense/boolq/test.json"))?.name == "commonsense")
        #expect(try TaskFamilies.resolve(Self.options("glue/RTE")) == nil)

        // Plain prompt/completion data is of no family; GSM8K under other field names is, when named.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lorasb-tasks-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let plain = folder.appendingPathComponent("plain.jsonl")
        try Data(#"{"prompt": "2+2?", "completion": "4"}"#.utf8).write(to: plain)
        #expect(try TaskFamilies.resolve(DataOptions(path: plain)) == nil)
        let renamed = folder.appendingPathComponent("renamed.jsonl")
        try Data(#"{"q": "2+2?", "a": "2+2=4\n#### 4"}"#.utf8).write(to: renamed)
        #expect(try TaskFamilies.resolve(DataOptions(path: renamed)) == nil)
        #expect(try TaskFamilies.resolve(DataOptions(path: renamed, promptField: "q", completionField: "a"))?.name == "gsm8k")
    }

    @Test func defaultsLiveWithTheFamily() throws {
        let gsm8k = try #require(TaskFamilies.named("gsm8k")), math = try #require(TaskFamilies.named("math"))
        let commonsense = try #require(TaskFamilies.named("commonsense"))
        #expect(gsm8k.maxNewTokens == 256 && math.maxNewTokens == 512 && commonsense.maxNewTokens == 32)
        #expect(gsm8k.chatTemplate == nil && math.chatTemplate == nil && commonsense.chatTemplate == "none")
        #expect(gsm8k.scorings == [.generation] && math.scorings == [.generation])
        #expect(commonsense.scorings == [.generation, .likelihood])
        // A request leaves generation length to the family unless it sets one.
        #expect(EvaluationRequest(model: URL(fileURLWithPath: "m"), data: DataOptions(path: URL(fileURLWithPath: "d"))).maxNewTokens == nil)
    }

    @Test func gsm8kProblemsAreJudgedByTheLastNumber() throws {
        let sets = try GSM8KTask().evaluationSets(Self.options("gsm8k"), split: nil)
        let set = try #require(sets.first)
        #expect(sets.count == 1 && set.name == "gsm8k" && set.file.lastPathComponent == "test.jsonl")
        #expect(set.problems.count == 1319)
        let first = set.problems[0]
        #expect(first.reference == "18" && first.prompt == first.question)
        #expect(first.judge("so she makes $18.") == TaskJudgement(predicted: "18", correct: true))
        #expect(first.judge("she makes 18 and then 19") == TaskJudgement(predicted: "19", correct: false))
        #expect(first.judge("no idea") == TaskJudgement(predicted: nil, correct: false))
        // Training reads question / answer without field flags.
        let training = try GSM8KTask().trainingData(Self.options("gsm8k"))
        #expect(training.train.count == 7473 && training.validation.count == 1319)
    }

    @Test func mathProblemsCompareNormalisedFinalAnswers() throws {
        let set = try #require(try MATHTask().evaluationSets(Self.options("math/math500_test.jsonl"), split: nil).first)
        #expect(set.name == "math" && set.problems.count == 500)
        let first = set.problems[0]
        #expect(first.reference == "\\left( 3, \\frac{\\pi}{2} \\right)")
        #expect(first.judge("so the point is $\\boxed{(3,\\frac{\\pi}{2})}$.").correct)
        #expect(first.judge("The answer is: (3, \\dfrac{\\pi}{2})").correct)
        #expect(first.judge("#### (3, \\dfrac{\\pi}{2})").correct, "a GSM8K-style final line counts, normalised")
        #expect(!first.judge("\\boxed{(3, \\pi)}").correct)
        #expect(first.judge("I cannot tell") == TaskJudgement(predicted: nil, correct: false))
        #expect(MATHTask.finalAnswer("x \\boxed{1} then The answer is: 2") == "1", "the box wins over the phrase")
        #expect(MATHTask.finalAnswer("#### 0.5\nmore text") == "0.5")
        let half = TaskProblem(question: "", prompt: "", reference: "\\frac12") { _ in TaskJudgement(predicted: nil, correct: false) }
        #expect(MATHAnswer.isEquivalent(try #require(MATHTask.finalAnswer("\\boxed{0.5}")), half.reference))
    }

    @Test func commonsenseSetsArePromptedAndJudgedAsTheAuthorsDo() throws {
        let sets = try CommonsenseTask().evaluationSets(Self.options("commonsense"), split: nil)
        #expect(sets.map(\.name) == ["ARC-Challenge", "ARC-Easy", "boolq", "openbookqa", "piqa", "winogrande"])
        #expect(sets.map(\.problems.count) == [1172, 2376, 3270, 500, 1838, 1267])
        #expect(sets.allSatisfy { $0.file.lastPathComponent == "test.json" })
        let boolq = try #require(sets.first { $0.name == "boolq" })
        let p = boolq.problems[0]
        #expect(p.reference == "false" && p.choices == ["true", "false"] && p.answerLeadIn == "the correct answer is ")
        // The plain-text format renders exactly the Alpaca prompt the authors generate from.
        let example = try CommonsenseSet.load(boolq.file).examples[0]
        #expect(p.prompt + "\n" == AlpacaPrompt.render(example))
        #expect(p.prompt.hasSuffix("### Response:"))
        // The first keyword, case ignored; none is wrong.
        #expect(p.judge("the correct answer is false") == TaskJudgement(predicted: "false", correct: true))
        #expect(p.judge("False, not true") == TaskJudgement(predicted: "false", correct: true))
        #expect(p.judge("TRUE") == TaskJudgement(predicted: "true", correct: false))
        #expect(p.judge("maybe") == TaskJudgement(predicted: nil, correct: false))
        let arc = try #require(sets.first { $0.name == "ARC-Easy" })
        #expect(arc.problems[0].judge("Answer1 is right") == TaskJudgement(predicted: "answer1", correct: true))

        // Only the sets holding the split: piqa and winogrande have no train.json.
        let train = try CommonsenseTask().evaluationSets(Self.options("commonsense"), split: .train)
        #expect(train.map(\.name) == ["ARC-Challenge", "ARC-Easy", "boolq", "openbookqa"])
        #expect(throws: DataError.self) { try CommonsenseTask().evaluationSets(Self.options("commonsense"), split: .valid) }
    }

    @Test func commonsenseTrainsOnTheInterleavedUnionOfTrainingSets() throws {
        let all = try CommonsenseTask().trainingData(Self.options("commonsense"))
        #expect(all.train.count == 1119 + 2251 + 9427 + 4957)   // the README's 17,754
        #expect(all.validation.count == 1172 + 2376 + 3270 + 500 + 1838 + 1267)
        var limited = Self.options("commonsense")
        limited.maxTrainExamples = 8
        limited.maxValidationExamples = 6
        let small = try CommonsenseTask().trainingData(limited)
        #expect(small.train.count == 8 && small.validation.count == 6)
        // The first examples come one from each set, in set order, each an Alpaca prompt and its output.
        let firstOfEach = try ["ARC-Challenge", "ARC-Easy", "boolq", "openbookqa"].map {
            try CommonsenseSet.load(Self.data.appendingPathComponent("commonsense/\($0)/train.json")).examples[0]
        }
        for (example, expected) in zip(small.train.prefix(4), firstOfEach) {
            #expect(example == .promptCompletion(prompt: CommonsenseTask.prompt(expected), completion: expected.output))
        }
        let winogrande = try CommonsenseSet.load(Self.data.appendingPathComponent("commonsense/winogrande/test.json")).examples[0]
        #expect(small.validation[5] == .promptCompletion(prompt: CommonsenseTask.prompt(winogrande), completion: winogrande.output))
    }

    @Test func accuracyIntervalsAreWilsonScoreIntervals() {
        // Wilson's interval for 8 of 10 (z = 1.96): 0.4902 … 0.9433.
        let ci = BinomialInterval.wilson(correct: 8, total: 10)
        #expect(abs(ci.low - 0.49016) < 1e-4 && abs(ci.high - 0.94332) < 1e-4)
        let none = BinomialInterval.wilson(correct: 0, total: 20)
        #expect(none.low == 0 && abs(none.high - 0.16113) < 1e-4, "no collapse to a point at 0 successes")
        let mean = BinomialInterval.mean(of: [(5, 10), (9, 10)])
        let half = 1.959963984540054 * (0.25 / 10 + 0.09 / 10).squareRoot() / 2
        #expect(abs(mean.mean - 0.7) < 1e-12 && abs(mean.low - (0.7 - half)) < 1e-12 && abs(mean.high - (0.7 + half)) < 1e-12)
    }
}
