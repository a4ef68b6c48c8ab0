import Foundation

/// One example of a commonsense set in the LLM-Adapters format:
/// `{"instruction": ..., "input": "", "output": "the correct answer is answer3", "answer": "answer3"}`.
public struct CommonsenseExample: Equatable, Sendable {
    public var instruction: String
    public var input: String
    public var output: String
    /// The correct answer keyword (`answer3`, `true`, `option1`).
    public var answer: String
    /// The keywords the instruction's `Answer format:` line allows, in its order.
    public var choices: [String]
}

/// A commonsense set (BoolQ, PIQA, WinoGrande, ARC, OpenBookQA, …) read from one JSON file, with
/// the set's answer keywords taken from its instructions' `Answer format: a/b/…` lines, so that
/// every set, present or future, is read by the same code.
public struct CommonsenseSet: Sendable {
    public let examples: [CommonsenseExample]
    /// Every keyword any instruction of the set allows, in order of first appearance (ARC:
    /// answer1 … answer5, since a few questions have five choices). A generation is scored
    /// against these, as the authors' evaluation searches for all of a set's keywords.
    public let keywords: [String]

    public init(examples: [CommonsenseExample]) {
        self.examples = examples
        var seen = Set<String>(), keywords: [String] = []
        for k in examples.flatMap(\.choices) where seen.insert(k).inserted { keywords.append(k) }
        self.keywords = keywords
    }

    /// Reads a set's `train.json` or `test.json` (one JSON array of examples).
    public static func load(_ url: URL) throws -> CommonsenseSet {
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw DataError(url, "cannot be read: \(error.localizedDescription)") }
        guard let value = JSONValue(parsing: data) else { throw DataError(url, "is not JSON") }
        guard case let .array(items) = value else { throw DataError(url, "should hold a JSON array of examples, found \(value.typeName)") }
        let examples = try items.enumerated().map { (i, item) -> CommonsenseExample in
            func problem(_ p: String) -> DataError { DataError(url, "example \(i + 1): \(p)") }
            guard case let .object(fields) = item else { throw problem("should be an object, found \(item.typeName)") }
            func string(_ key: String, optional: Bool = false) throws -> String {
                switch fields[key] {
                case let .string(s)?: return s
                case nil where optional: return ""
                case nil: throw problem("field \"\(key)\" is missing")
                case let v?: throw problem("field \"\(key)\" should be a string, found \(v.typeName)")
                }
            }
            let instruction = try string("instruction")
            guard let choices = answerFormat(instruction) else { throw problem("the instruction has no \"Answer format:\" line") }
            let answer = try string("answer")
            guard choices.contains(answer) else {
                throw problem("answer \"\(answer)\" is not one of the answer format's \(choices.joined(separator: "/"))")
            }
            return CommonsenseExample(instruction: instruction, input: try string("input", optional: true),
                                      output: try string("output"), answer: answer, choices: choices)
        }
        if examples.isEmpty { throw DataError(url, "holds no examples") }
        return CommonsenseSet(examples: examples)
    }

    /// The keywords of the last `Answer format:` of an instruction: the text up to the end of its
    /// line, split at `/`. Nil when there is none or it names no keyword.
    public static func answerFormat(_ instruction: String) -> [String]? {
        guard let marker = instruction.range(of: "Answer format:", options: .backwards) else { return nil }
        let line = instruction[marker.upperBound...].prefix { $0 != "\n" }
        let keywords = line.split(separator: "/").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return keywords.isEmpty ? nil : keywords
    }

    /// The keyword a generation answers with: the first occurrence of any of the set's keywords
    /// (case-sensitive, as the authors' `re.findall`); where two start at the same place, the
    /// longer. Nil (scored wrong) when the generation names none.
    public func predictedKeyword(in generation: String) -> String? {
        CommonsenseSet.firstKeyword(in: generation, keywords)
    }

    /// The same, ignoring case, as the LoRA-SB authors' `commonsense_eval.py` reads answers (it
    /// lowercases the generation first): "Answer2" answers answer2. Returns the keyword as the
    /// set spells it.
    public func predictedKeyword(ignoringCaseIn generation: String) -> String? {
        CommonsenseSet.firstKeyword(in: generation, keywords, options: [.literal, .caseInsensitive])
    }

    static func firstKeyword(in text: String, _ keywords: [String],
                             options: String.CompareOptions = .literal) -> String? {
        var best: (at: String.Index, keyword: String)?
        for k in keywords {
            guard let r = text.range(of: k, options: options) else { continue }
            if best == nil || r.lowerBound < best!.at || (r.lowerBound == best!.at && k.count > best!.keyword.count) {
                best = (r.lowerBound, k)
            }
        }
        return best?.keyword
    }

    /// Whether a generation answers an example correctly.
    public func isCorrect(_ generation: String, for example: CommonsenseExample) -> Bool {
        predictedKeyword(in: generation) == example.answer
    }
}

/// The Alpaca prompt the LoRA-SB authors train and evaluate commonsense sets with (from
/// LLM-Adapters); the model learns `output` after it.
public enum AlpacaPrompt {
    public static func render(instruction: String, input: String = "") -> String {
        if input.isEmpty {
            return "Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n"
                + "### Instruction:\n\(instruction)\n\n### Response:\n"
        }
        return "Below is an instruction that describes a task, paired with an input that provides further context. "
            + "Write a response that appropriately completes the request.\n\n"
            + "### Instruction:\n\(instruction)\n\n### Input:\n\(input)\n\n### Response:\n"
    }

    public static func render(_ example: CommonsenseExample) -> String {
        render(instruction: example.instruction, input: example.input)
    }
}
