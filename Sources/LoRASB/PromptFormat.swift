import Tokenizers
import Training

/// How prompts and conversations become token ids for a decoder: through the model's chat
/// template (or a built-in one), or, with `--chat-template none` or a model without a template,
/// as plain text (`prompt` + newline + `completion` + end of sequence).
public struct PromptFormat {
    public let tokenizer: Tokenizer
    /// The template used, nil for plain text.
    public let template: ChatTemplate?

    /// `override`: a built-in template name (`chatml`, `llama3`) or `none`; nil uses the model's.
    public init(tokenizer: Tokenizer, override: String? = nil) throws {
        self.tokenizer = tokenizer
        if override == "none" {
            template = nil
        } else if override != nil || tokenizer.chatTemplate != nil {
            template = try tokenizer.chatTemplate(override: override)
        } else {
            template = nil
        }
    }

    /// The text a prompt is given to the model as, ready for the answer to follow.
    public func promptText(_ prompt: String) throws -> String {
        guard let template else { return prompt + "\n" }
        return try render(template, [ChatMessage(role: "user", content: prompt)], generationPrompt: true)
    }

    /// A training example: ids plus which of them carry the loss.
    public func encode(_ example: LanguageModelingExample) throws -> TokenizedExample {
        switch example {
        case .text(let text):
            return TokenizedExample(tokens: withEnd(tokenizer.encode(text).ids))
        case .promptCompletion(let prompt, let completion):
            if let template {
                return try encodeChat(template, [ChatMessage(role: "user", content: prompt),
                                                 ChatMessage(role: "assistant", content: completion)])
            }
            let p = tokenizer.encode(prompt + "\n").ids
            let c = withEnd(tokenizer.encode(completion, addSpecialTokens: false).ids)
            return TokenizedExample(prompt: p, completion: c)
        case .chat(let turns):
            let messages = turns.map { ChatMessage(role: $0.role, content: $0.content) }
            guard let template else {
                // No template: the turns as plain lines, the loss on the assistant's.
                var tokens: [Int] = [], mask: [Bool] = []
                for m in messages {
                    let ids = tokenizer.encode("\(m.role): \(m.content)\n", addSpecialTokens: false).ids
                    tokens += ids
                    mask += Array(repeating: m.role == "assistant", count: ids.count)
                }
                return TokenizedExample(tokens: tokens, targetMask: mask)
            }
            return try encodeChat(template, messages)
        }
    }

    /// The loss covers each assistant turn: the tokens the rendered conversation adds from the
    /// end of the prompt before that turn (with its generation prompt) to the end of the turn.
    func encodeChat(_ template: ChatTemplate, _ messages: [ChatMessage]) throws -> TokenizedExample {
        var tokens: [Int] = []
        var mask: [Bool] = []
        for (i, m) in messages.enumerated() where m.role == "assistant" || i == messages.count - 1 {
            let before = try render(template, Array(messages[..<i]), generationPrompt: m.role == "assistant")
            let through = try render(template, Array(messages[...i]), generationPrompt: false)
            let head = tokenizer.encode(before, addSpecialTokens: false).ids
            let full = tokenizer.encode(through, addSpecialTokens: false).ids
            // Tokens already placed stay; the new ones are the prompt tail and this turn.
            let prefix = commonPrefix(tokens, full)
            guard prefix == tokens.count else {
                tokens = full
                mask = Array(repeating: false, count: full.count)
                continue
            }
            let promptEnd = max(commonPrefix(head, full), tokens.count)
            tokens = full
            mask += Array(repeating: false, count: promptEnd - mask.count)
            mask += Array(repeating: m.role == "assistant", count: full.count - promptEnd)
        }
        return TokenizedExample(tokens: tokens, targetMask: mask)
    }

    private func render(_ template: ChatTemplate, _ messages: [ChatMessage], generationPrompt: Bool) throws -> String {
        if messages.isEmpty && !generationPrompt { return "" }
        return try template.render(messages: messages, addGenerationPrompt: generationPrompt,
                                   bosToken: tokenizer.bosTokenId.flatMap(tokenizer.token(for:)),
                                   eosToken: tokenizer.eosTokenId.flatMap(tokenizer.token(for:)))
    }

    private func withEnd(_ ids: [Int]) -> [Int] {
        guard let eos = tokenizer.eosTokenId, ids.last != eos else { return ids }
        return ids + [eos]
    }

    private func commonPrefix(_ a: [Int], _ b: [Int]) -> Int {
        var i = 0
        while i < a.count && i < b.count && a[i] == b[i] { i += 1 }
        return i
    }
}
