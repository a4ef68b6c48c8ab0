import Adapters
import Foundation
import Tokenizers
import Training

/// What an encoder's head learns, as asked for (`--task`): nil in `DataOptions` means detected
/// from the data.
public enum HeadTask: String, Sendable, CaseIterable {
    /// Class labels, cross-entropy loss.
    case classification
    /// One numeric target per example, a one-output head, mean-squared-error loss.
    case regression
}

/// What a sequence head predicts and how its outputs are scored: classes (with the GLUE task
/// whose metrics and positive class apply, if any) or one regression value.
public enum ClassificationLayout: Sendable, Equatable {
    /// `labels[i]` is class i's name, as the head's outputs are ordered.
    case classes(labels: [String], task: GLUETask?)
    /// Targets are numbers, checked to lie in `range` when there is one (STS-B: 0…5).
    case regression(range: ClosedRange<Float>?)

    /// Transformers' `problem_type` of a regression head, recorded in the adapter's manifest.
    public static let regressionProblemType = "regression"

    /// The head's outputs.
    public var headOutputs: Int {
        switch self {
        case .classes(let labels, _): return labels.count
        case .regression: return 1
        }
    }

    /// Class names (nil for a regression).
    public var labels: [String]? {
        if case .classes(let labels, _) = self { return labels }
        return nil
    }

    public var isRegression: Bool { if case .regression = self { return true } else { return false } }

    /// The manifest's `problemType`: set for regression only.
    public var problemType: String? { isRegression ? ClassificationLayout.regressionProblemType : nil }

    /// The head size an adapter's manifest implies (nil: the manifest names no head).
    public static func headOutputs(of manifest: AdapterManifest) -> Int? {
        manifest.problemType == regressionProblemType ? 1 : manifest.labels?.count
    }

    /// The layout of a training set: regression when asked, when the GLUE task is STS-B, or —
    /// detected — when every label is a number and some are written with a fraction or exponent
    /// (`3.800`: scores, not class ids); otherwise the training labels' classes.
    public static func of(_ train: ClassificationDataset, task: GLUETask?, requested: HeadTask?) -> ClassificationLayout {
        let regression: Bool
        switch requested {
        case .regression?: regression = true
        case .classification?: regression = false
        case nil:
            regression = task?.isRegression ?? looksLikeScores(train.examples.map(\.label))
        }
        return regression ? .regression(range: task?.targetRange)
            : .classes(labels: train.labelVocabulary.labels, task: task)
    }

    /// Every label a finite number and at least one not an integer literal.
    static func looksLikeScores(_ labels: [String]) -> Bool {
        labels.allSatisfy { Float($0)?.isFinite == true } && labels.contains { Int($0) == nil }
    }

    /// The examples as token ids (text pairs with segment ids) with their class index or target
    /// value, each cut to `maxLength` tokens the tokenizer's way (longest text first, special
    /// tokens kept). Returns how many had to be cut. A label outside the classes, or a score that
    /// is not a number or lies outside the range, is an error naming its file and line.
    public func encode(_ data: ClassificationDataset, with tokenizer: Tokenizer,
                       maxLength: Int) throws -> (examples: [TokenizedExample], truncated: Int) {
        var cut = 0
        func tokens(_ e: ClassificationExample) -> Encoding {
            let encoding = tokenizer.encode(e.text, pair: e.textPair)
            guard encoding.ids.count > maxLength else { return encoding }
            cut += 1
            return tokenizer.encode(e.text, pair: e.textPair, truncation: TruncationOptions(maxLength: maxLength))
        }
        switch self {
        case .regression(let range):
            let values = try data.regressionTargets(range: range)
            let examples = zip(data.examples, values).map { e, value in
                let enc = tokens(e)
                return TokenizedExample(tokens: enc.ids, value: value, tokenTypes: enc.typeIds)
            }
            return (examples, cut)
        case .classes(let labels, _):
            var index: [String: Int] = [:]
            for (i, l) in labels.enumerated() where index[l] == nil { index[l] = i }
            let examples = try zip(data.examples, data.lines).map { e, line in
                guard let label = index[e.label] else {
                    throw DataError(path: data.path, line: line, "label \"\(e.label)\" is not one of the model's labels \(labels)")
                }
                let enc = tokens(e)
                return TokenizedExample(tokens: enc.ids, label: label, tokenTypes: enc.typeIds)
            }
            return (examples, cut)
        }
    }
}
