import Foundation
import LoRASB

/// `lorasb info`: describes a model folder or GGUF file without loading its weights.
enum InfoCommand: Command {
    static let name = "info"
    static let summary = "describe a model: architecture, sizes, parameters, tensor types, tokenizer"
    static let flags: [Arguments.Flag] = [
        .init("model", help: "a Hugging Face model folder or a .gguf file"),
        .init("json", value: false, help: "print JSON instead of text"),
    ]

    static func run(_ args: Arguments) throws {
        let path = try args.required("model")
        let model = try ModelFiles(url: URL(fileURLWithPath: path))
        let summary = ModelSummary(model)
        print(args.has("json") ? try summary.json() : summary.text)
    }
}
