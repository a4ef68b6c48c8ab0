import Foundation
import LoRASB

/// `lorasb generate`: continues a prompt with a decoder model, streaming tokens as they come.
struct GenerateCommand: Command {
    static let name = "generate"
    static let summary = "generate text from a prompt with a decoder model (KV cache, sampling)"
    /// The library's defaults, quoted by the help and kept by every unset flag.
    static let defaults = GenerationOptions()

    static let flags: [Arguments.Flag] = [
        .init("model", help: "model folder (config.json + safetensors) or .gguf file"),
        .init("adapter", aliases: ["adapter-path"], help: "a lorasb adapter folder (from lorasb train) to load onto the model"),
        .init("prompt", help: "the prompt text"),
        .init("chat", value: false, help: "wrap the prompt as a user message with the model's chat template"),
        .init("max-tokens", help: "new tokens at most (default \(defaults.maxNewTokens))"),
        .init("temperature", help: "0 = greedy; higher = more random (default \(defaults.temperature))"),
        .init("top-k", help: "sample among the k most likely tokens; 0 = all (default \(defaults.topK))"),
        .init("top-p", help: "sample from the smallest set reaching this probability (default \(defaults.topP))"),
        .init("seed", help: "sampling seed (default \(defaults.seed))"),
        .init("stop", help: "stop when the generated text contains this string"),
        PrecisionFlag.flag,
    ]

    static func run(_ args: Arguments) throws {
        let modelURL = URL(fileURLWithPath: try args.required("model"))
        let prompt = try args.required("prompt")
        var options = defaults
        try args.override(&options.maxNewTokens, "max-tokens", atLeast: 0)
        try args.override(&options.temperature, "temperature")
        try args.override(&options.topK, "top-k", atLeast: 0)
        try args.override(&options.topP, "top-p")
        try args.override(&options.seed, "seed")
        guard options.maxNewTokens >= 0, options.temperature >= 0, options.topK >= 0,
              options.topP > 0, options.topP <= 1 else {
            throw CLIError("--max-tokens, --temperature and --top-k must be ≥ 0, --top-p in (0, 1]")
        }
        let precision = try PrecisionFlag.value(args)
        let adapted = try AdaptedModel(model: modelURL, adapter: args.string("adapter").map { URL(fileURLWithPath: $0) })
        try adapted.model.network.use(precision)
        guard let model = adapted.model.decoder else {
            throw CLIError("\(modelURL.path) is not a decoder: generate needs a causal language model")
        }
        let tokenizer = adapted.model.tokenizer
        let text = args.has("chat")
            ? try tokenizer.applyChatTemplate([ChatMessage(role: "user", content: prompt)], addGenerationPrompt: true)
            : prompt
        let ids = tokenizer.encode(text, addSpecialTokens: !args.has("chat")).ids
        if let eos = tokenizer.eosTokenId { options.stopTokens = Set(model.config.eosTokenIds + [eos]) }
        let stop = args.string("stop")
        var produced: [Int] = []
        var printed = ""
        _ = try model.generate(prompts: [ids], options: options) { _, token in
            produced.append(token)
            let decoded = tokenizer.decode(produced, skipSpecialTokens: true)
            // Hold back text that ends in an incomplete UTF-8 sequence.
            guard !decoded.hasSuffix("\u{FFFD}") else { return true }
            var shown = decoded
            var keepGoing = true
            if let stop, !stop.isEmpty, let r = decoded.range(of: stop) {
                shown = String(decoded[..<r.lowerBound])
                keepGoing = false
            }
            if shown.hasPrefix(printed) {
                FileHandle.standardOutput.write(Data(shown.dropFirst(printed.count).utf8))
            }
            printed = shown
            return keepGoing
        }
        print("")
    }
}
