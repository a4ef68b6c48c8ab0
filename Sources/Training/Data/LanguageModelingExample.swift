/// One message of a chat conversation, kept as text so the model's chat template can render it.
public struct ChatTurn: Equatable, Sendable, Codable {
    public var role: String
    public var content: String

    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }
}

/// A language-modelling training example before tokenisation.
///
/// Which tokens carry the loss follows from the case: all of `text`; only the `completion` of a
/// prompt/completion pair; for a chat, the turns the template marks as the assistant's.
public enum LanguageModelingExample: Equatable, Sendable {
    case text(String)
    case promptCompletion(prompt: String, completion: String)
    case chat([ChatTurn])
}
