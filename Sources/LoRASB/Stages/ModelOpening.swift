import Foundation
import ModelIO
import Tokenizers

/// Where a run's stages get the model's files: each stage asks for them instead of opening the
/// path itself, so reading the data's form, building the network, the tokenizer and a later
/// evaluation all share one opening.
public protocol ModelOpening: AnyObject {
    /// The files of the model at `url` (a Hugging Face folder or a `.gguf` file).
    func files(at url: URL) throws -> ModelFiles
}

/// Opens each model path on first use and hands out the same `ModelFiles` afterwards.
public final class ModelOpener: ModelOpening {
    private var opened: [String: ModelFiles] = [:]

    public init() {}

    public func files(at url: URL) throws -> ModelFiles {
        let key = url.standardizedFileURL.path
        if let files = opened[key] { return files }
        let files = try ModelFiles(url: url)
        opened[key] = files
        return files
    }
}

extension Tokenizer {
    /// The tokenizer of opened model files: a GGUF file's vocabulary from its metadata (no second
    /// opening), a folder's `tokenizer.json`.
    static func load(files: ModelFiles) throws -> Tokenizer {
        if case .gguf(let gguf) = files.storage { return try load(gguf: gguf) }
        return try load(tokenizerJSON: files.url)
    }
}
