/// How the records of a language-modelling JSONL file map onto `LanguageModelingExample`s.
public enum LanguageModelingFormat: Equatable, Sendable {
    /// Decided by the first record, as `mlx_lm.lora` does: a `messages` field means chat,
    /// `prompt` and `completion` fields mean a prompt/completion pair, a `text` field means plain
    /// text. Every later record must then have the same fields.
    case automatic
    /// Plain text in the named field; every token is a target.
    case text(field: String)
    /// A prompt and a completion in the named fields (GSM8K: `question` / `answer`).
    case promptCompletion(promptField: String, completionField: String)
    /// A chat conversation (array of `{role, content}`) in the named field.
    case chat(field: String)

    /// The format the first record implies, for `.automatic`.
    static func detect(_ record: JSONRecord) throws -> LanguageModelingFormat {
        if record.has("messages") { return .chat(field: "messages") }
        if record.has("prompt") && record.has("completion") {
            return .promptCompletion(promptField: "prompt", completionField: "completion")
        }
        if record.has("text") { return .text(field: "text") }
        let present = record.fields.keys.sorted().map { "\"\($0)\"" }.joined(separator: ", ")
        throw record.error(
            "cannot tell the record format: expected \"messages\", \"prompt\" and \"completion\", or \"text\" (the record has \(present.isEmpty ? "no fields" : present)); name the fields explicitly")
    }

    /// The example `record` holds under this (resolved, not automatic) format.
    func example(from record: JSONRecord) throws -> LanguageModelingExample {
        switch self {
        case .automatic:
            return try LanguageModelingFormat.detect(record).example(from: record)
        case .text(let field):
            return .text(try record.string(field))
        case .promptCompletion(let promptField, let completionField):
            return .promptCompletion(prompt: try record.string(promptField),
                                     completion: try record.string(completionField))
        case .chat(let field):
            return .chat(try record.chat(field))
        }
    }
}

/// The examples of one language-modelling JSONL file.
public struct LanguageModelingDataset: Sendable {
    /// The file the examples came from.
    public let path: String
    /// The format the records were read with (resolved when `.automatic` was asked for).
    public let format: LanguageModelingFormat
    public let examples: [LanguageModelingExample]
    /// The 1-based source line of each example, for messages about a particular example.
    public let lines: [Int]

    public var count: Int { examples.count }
}

import Foundation

extension LanguageModelingDataset {
    /// Reads the JSONL file at `url`. Blank lines are skipped; an empty file is an error, as is any
    /// record that is not JSON, lacks a field, or has a field of the wrong type (the error names
    /// the file and the line).
    public static func load(_ url: URL, format: LanguageModelingFormat = .automatic) throws
        -> LanguageModelingDataset
    {
        let records = try JSONLinesFile.read(url)
        guard let first = records.first else { throw DataError(url, "the file holds no records") }
        let resolved = format == .automatic ? try LanguageModelingFormat.detect(first) : format
        let examples = try records.map { try resolved.example(from: $0) }
        return LanguageModelingDataset(path: url.path, format: resolved, examples: examples,
                                       lines: records.map(\.line))
    }
}
