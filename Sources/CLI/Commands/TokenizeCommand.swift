import Foundation
import LoRASB

/// `lorasb tokenize`: shows the ids and tokens the tool feeds a model, to check them against
/// what another tool produces.
enum TokenizeCommand: Command {
    static let name = "tokenize"
    static let summary = "show the tokens of a text under a model's tokenizer (GGUF or tokenizer.json)"
    static let flags: [Arguments.Flag] = [
        .init("model", help: "a .gguf file, a tokenizer.json, or a model folder holding one"),
        .init("text", help: "the text to tokenize"),
        .init("file", help: "a file whose whole content is tokenized (invalid UTF-8 becomes U+FFFD)"),
        .init("pair", help: "a second sequence, encoded as a pair with the first"),
        .init("chat", value: false, help: "render the text as one user message through the chat template, with the generation prompt"),
        .init("chat-template", help: "use a built-in chat template instead of the model's: \(ChatTemplate.builtinNames.joined(separator: ", "))"),
        .init("no-special", value: false, help: "do not add the post-processor's special tokens"),
        .init("max-length", help: "truncate to this many tokens"),
        .init("json", value: false, help: "print JSON (ids, tokens, type ids, attention mask)"),
    ]

    static func run(_ args: Arguments) throws {
        let model = try args.required("model")
        var text: String
        switch (args.string("text"), args.string("file")) {
        case let (t?, nil): text = t
        case let (nil, f?):
            let data: Data
            do { data = try Data(contentsOf: URL(fileURLWithPath: f)) } catch {
                throw CLIError("cannot read --file \(f): \(error.localizedDescription)")
            }
            text = String(decoding: data, as: UTF8.self)
        default: throw CLIError("give exactly one of --text or --file")
        }
        let tokenizer = try Tokenizer.load(model: URL(fileURLWithPath: model))
        var addSpecial = !args.has("no-special")
        if args.has("chat") || args.string("chat-template") != nil {
            text = try tokenizer.applyChatTemplate([ChatMessage(role: "user", content: text)], addGenerationPrompt: true,
                                                   override: args.string("chat-template"))
            addSpecial = false   // the template writes the special tokens itself
        }
        var truncation: TruncationOptions?
        if let n = try args.int("max-length") {
            guard n > 0 else { throw CLIError("--max-length must be positive") }
            truncation = TruncationOptions(maxLength: n)
        }
        let e = tokenizer.encode(text, pair: args.string("pair"), addSpecialTokens: addSpecial, truncation: truncation)
        let tokens = e.ids.map { tokenizer.token(for: $0) ?? "" }
        if args.has("json") {
            let object: [String: Any] = [
                "text": text, "ids": e.ids, "tokens": tokens, "type_ids": e.typeIds,
                "attention_mask": e.attentionMask, "count": e.count, "decoded": tokenizer.decode(e.ids),
            ]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        for (i, id) in e.ids.enumerated() {
            let piece = tokenizer.decode([id]).debugDescription
            print("\(i)\t\(id)\t\(tokens[i].debugDescription)\t\(piece)\(e.typeIds[i] != 0 ? "\ttype \(e.typeIds[i])" : "")")
        }
        print("\(e.count) tokens")
    }
}
