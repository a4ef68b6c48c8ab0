import Foundation
import Training

/// Commonsense reasoning in the LLM-Adapters format (BoolQ, PIQA, WinoGrande, ARC, OpenBookQA,
/// and any other set in that format, with no code of its own): one adapter trained on the union
/// of every set's training file with the Alpaca prompt, the loss on the response; each test set
/// scored by the first of its answer keywords in a greedy generation (case ignored; none =
/// wrong), or by the keyword most likely as the response's continuation.
///
/// The data path is a folder of set folders (`commonsense/boolq/test.json`, …), one set's
/// folder, or one set's JSON file.
public struct CommonsenseTask: TaskFamily {
    public init() {}
    public var name: String { "commonsense" }
    /// The authors' commonsense evaluation allows 32 new tokens ("the correct answer is …").
    public var maxNewTokens: Int { 32 }
    /// The Alpaca prompt is the whole prompt, as the authors train and evaluate.
    public var chatTemplate: String? { "none" }
    public var scorings: [TaskScoring] { [.generation, .likelihood] }

    public func recognizes(_ data: DataOptions) -> Bool {
        !((try? CommonsenseTask.setFolders(data.path)) ?? []).isEmpty
    }

    /// Every set's training file, interleaved example by example so that the first N (the
    /// `maxTrainExamples` limit, and the LoRA-SB initialisation's samples) come from every set;
    /// validation: each set's validation file, else its test file, interleaved the same way.
    public func trainingData(_ data: DataOptions) throws -> TaskTrainingData {
        var train: [[LanguageModelingExample]] = [], validation: [[LanguageModelingExample]] = []
        var validationSets: [String] = []
        for (name, url) in try CommonsenseTask.setFolders(data.path) {
            let files = try DataSplitFiles.locate(url, fileExtension: "json")
            if let f = files.train { train.append(try CommonsenseTask.examples(f)) }
            if let f = files.validation ?? files.test {
                validation.append(try CommonsenseTask.examples(f))
                validationSets.append("\(name)/\(f.lastPathComponent)")
            }
        }
        let union = CommonsenseTask.interleaved(train)
        guard !union.isEmpty else { throw DataError(data.path, "no set holds a train.json") }
        return TaskTrainingData(train: Array(union.prefix(data.maxTrainExamples ?? union.count)),
                                validation: Array(CommonsenseTask.interleaved(validation).prefix(data.maxValidationExamples ?? Int.max)),
                                validationName: validationSets.isEmpty ? "none" : "\(data.path.path): " + validationSets.joined(separator: ", "))
    }

    /// Each set's file of `split` (nil: validation, else test); sets without that file are left out.
    public func evaluationSets(_ data: DataOptions, split: DataSplit?) throws -> [TaskEvaluationSet] {
        var sets: [TaskEvaluationSet] = []
        for (name, url) in try CommonsenseTask.setFolders(data.path) {
            guard let file = try? DataOptions(path: url).file(of: split, fileExtension: "json") else { continue }
            let set = try CommonsenseSet.load(file)
            sets.append(TaskEvaluationSet(name: name, file: file, problems: set.examples.map { e in
                TaskProblem(question: e.instruction, prompt: CommonsenseTask.prompt(e), reference: e.answer,
                            choices: e.choices, answerLeadIn: CommonsenseTask.leadIn(e)) { generated in
                    let keyword = set.predictedKeyword(ignoringCaseIn: generated)
                    return TaskJudgement(predicted: keyword, correct: keyword == e.answer)
                }
            }))
        }
        guard !sets.isEmpty else {
            throw DataError(data.path, "no commonsense set has a \(split?.rawValue ?? "validation or test") file")
        }
        return sets
    }

    /// The Alpaca prompt without its final newline: the plain-text prompt format adds one.
    static func prompt(_ e: CommonsenseExample) -> String {
        var p = AlpacaPrompt.render(e)
        if p.hasSuffix("\n") { p.removeLast() }
        return p
    }

    /// What a response says before its keyword ("the correct answer is "); empty when the output
    /// does not hold the answer.
    static func leadIn(_ e: CommonsenseExample) -> String {
        e.output.range(of: e.answer).map { String(e.output[..<$0.lowerBound]) } ?? ""
    }

    static func examples(_ file: URL) throws -> [LanguageModelingExample] {
        try CommonsenseSet.load(file).examples.map { .promptCompletion(prompt: prompt($0), completion: $0.output) }
    }

    static func interleaved<T>(_ lists: [[T]]) -> [T] {
        var out: [T] = []
        out.reserveCapacity(lists.reduce(0) { $0 + $1.count })
        for i in 0..<(lists.map(\.count).max() ?? 0) {
            for list in lists where i < list.count { out.append(list[i]) }
        }
        return out
    }

    /// The sets at `path`, by name: a `.json` file (named after its folder), a folder holding a
    /// set's `train.json` / `test.json`, or a folder of such folders (in name order).
    static func setFolders(_ path: URL) throws -> [(name: String, url: URL)] {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: path.path, isDirectory: &isDirectory) else { throw DataError(path, "no such file or folder") }
        if !isDirectory.boolValue {
            guard path.pathExtension.lowercased() == "json" else { return [] }
            return [(path.deletingLastPathComponent().lastPathComponent, path)]
        }
        func holdsSet(_ folder: URL) -> Bool {
            (["train", "test"] + DataSplitFiles.validationNames).contains {
                fm.fileExists(atPath: folder.appendingPathComponent("\($0).json").path)
            }
        }
        if holdsSet(path) { return [(path.lastPathComponent, path)] }
        let children = (try? fm.contentsOfDirectory(at: path, includingPropertiesForKeys: nil)) ?? []
        return children.filter(holdsSet)
            .sorted { $0.lastPathComponent.localizedCaseInsensitiveCompare($1.lastPathComponent) == .orderedAscending }
            .map { ($0.lastPathComponent, $0) }
    }
}
