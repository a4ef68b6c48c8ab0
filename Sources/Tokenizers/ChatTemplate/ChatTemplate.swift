/// One message of a conversation.
public struct ChatMessage: Sendable, Equatable {
    public var role: String
    public var content: String
    /// The functions an assistant turn calls (`tool_calls`); a template sees the field only when
    /// there are some, as in a Transformers message that has none.
    public var toolCalls: [ChatToolCall]

    public init(role: String, content: String, toolCalls: [ChatToolCall] = []) {
        self.role = role; self.content = content; self.toolCalls = toolCalls
    }

    var jinja: JinjaValue {
        var fields: [(String, JinjaValue)] = [("role", .string(role)), ("content", .string(content))]
        if !toolCalls.isEmpty { fields.append(("tool_calls", .array(toolCalls.map(\.jinja)))) }
        return .object(JinjaObject(fields))
    }
}

/// A chat template: the Jinja program a model ships to turn a conversation into its prompt
/// text. Rendered by a small interpreter of the Jinja subset chat templates use, with the
/// environment Transformers' `apply_chat_template` uses (`trim_blocks`, `lstrip_blocks`), so
/// that the text is byte-identical. Templates outside the subset fail at construction with an
/// error naming the construct and the line.
public struct ChatTemplate: @unchecked Sendable {
    public let source: String
    private let nodes: [JinjaNode]

    public init(source: String) throws {
        self.source = source
        self.nodes = try JinjaParser.parse(source)
    }

    /// The names `builtin(named:)` accepts.
    public static let builtinNames = ["chatml", "llama3", "none"]

    /// A template shipped with the library: `chatml` (`<|im_start|>role\ncontent<|im_end|>\n`),
    /// `llama3` (header tokens, `<|eot_id|>`, starting with the BOS text), or `none` (the
    /// contents alone, one per line: for models without a chat format).
    public static func builtin(named name: String) throws -> ChatTemplate {
        let source: String
        switch name {
        case "chatml":
            source = "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
        case "llama3":
            source = "{{ bos_token }}{% for message in messages %}{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n' + message['content'] | trim + '<|eot_id|>' }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}"
        case "none":
            source = "{% for message in messages %}{{ message['content'] }}{% if not loop.last %}{{ '\n' }}{% endif %}{% endfor %}"
        default:
            throw ChatTemplateError.unknownBuiltin(name)
        }
        return try ChatTemplate(source: source)
    }

    /// Renders a conversation. `addGenerationPrompt` appends the opening of the assistant's turn;
    /// `tools` are the function schemas offered to the model (Transformers' `tools=`). As in
    /// Transformers, `tools` and `documents` are always defined, `none` when not given.
    public func render(messages: [ChatMessage], tools: [ChatValue]? = nil, addGenerationPrompt: Bool,
                       bosToken: String? = nil, eosToken: String? = nil) throws -> String {
        var context: [String: JinjaValue] = [
            "messages": .array(messages.map(\.jinja)),
            "tools": tools.map { .array($0.map(\.jinja)) } ?? .none,
            "documents": .none,
            "add_generation_prompt": .bool(addGenerationPrompt),
        ]
        if let bosToken { context["bos_token"] = .string(bosToken) }
        if let eosToken { context["eos_token"] = .string(eosToken) }
        return try JinjaRenderer.render(nodes, context: context)
    }
}

extension Tokenizer {
    /// The template to use: the built-in one named by `override` if given, else the model's own.
    public func chatTemplate(override: String? = nil) throws -> ChatTemplate {
        if let override { return try ChatTemplate.builtin(named: override) }
        guard let source = chatTemplate else { throw ChatTemplateError.missing }
        return try ChatTemplate(source: source)
    }

    /// The prompt text of a conversation, as Transformers' `apply_chat_template(tokenize=False)`.
    public func applyChatTemplate(_ messages: [ChatMessage], tools: [ChatValue]? = nil, addGenerationPrompt: Bool,
                                  override: String? = nil) throws -> String {
        try chatTemplate(override: override).render(
            messages: messages, tools: tools, addGenerationPrompt: addGenerationPrompt,
            bosToken: bosTokenId.flatMap(token(for:)), eosToken: eosTokenId.flatMap(token(for:)))
    }
}
