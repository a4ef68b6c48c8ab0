/// Why a chat template cannot be rendered.
public enum ChatTemplateError: Error, CustomStringConvertible, Equatable {
    /// The template uses syntax or features outside the implemented Jinja subset.
    case unsupported(String, line: Int)
    /// The template is not valid Jinja.
    case syntax(String, line: Int)
    /// Rendering failed (an undefined attribute, a type error, `raise_exception`).
    case render(String)
    /// Rendering reached a filter, test, function or method outside the implemented subset.
    case unsupportedFeature(String)
    /// The model carries no template and none was named.
    case missing
    /// `--chat-template` named no built-in template.
    case unknownBuiltin(String)

    public var description: String {
        let hint = "; pass a built-in template instead (--chat-template \(ChatTemplate.builtinNames.joined(separator: "|")))"
        switch self {
        case let .unsupported(what, line): return "cannot render this chat template: \(what) (line \(line))" + hint
        case let .syntax(what, line): return "chat template syntax error: \(what) (line \(line))" + hint
        case let .render(what): return "chat template failed: \(what)"
        case let .unsupportedFeature(what): return "cannot render this chat template: \(what)" + hint
        case .missing: return "the model has no chat template" + hint
        case let .unknownBuiltin(name): return "no built-in chat template named '\(name)' (known: \(ChatTemplate.builtinNames.joined(separator: ", ")))"
        }
    }
}
