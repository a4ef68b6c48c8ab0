import Adapters
import Foundation
import ModelIO
import Models
import Tensor

/// What both GGUF exports start from: a decoder opened from a `.gguf` file, with its adapter.
/// The choices of tensor type and their defaults live here, for the library and the CLI.
public struct GGUFExportBase {
    /// The llama.cpp adapter's tensor types; f32 by default (the factors are small).
    public static let adapterTypes: [GGMLType] = [.f32, .f16, .bf16, .q8_0]
    public static let defaultAdapterType = GGMLType.f32
    /// The merged model's matrix types; f16 by default (`llama-quantize` takes it from there).
    public static let mergedTypes: [GGMLType] = [.f16, .bf16, .q8_0, .q5_0, .q5_1, .q4_0, .q4_1]
    public static let defaultMergedType = GGMLType.f16

    public let file: GGUFFile
    public let decoder: LlamaModel
    public let adapters: AdapterSet

    /// Checks that `adapted` can be written as GGUF: a GGUF base (not a Hugging Face folder), a
    /// decoder (not an encoder with a classification head), and an adapter.
    public init(_ adapted: AdaptedModel) throws {
        let url = adapted.model.url.path
        guard let file = adapted.model.files.gguf else {
            throw AdapterError.invalidSetting("\(url): a GGUF export needs a .gguf base model to take the architecture, tensor names and tokenizer from; this is a Hugging Face folder (use --merge without --format for a Hugging Face model folder, or --format peft)")
        }
        guard let decoder = adapted.model.decoder, adapted.model.classifier == nil else {
            throw AdapterError.invalidSetting("\(url): a GGUF export is for decoder language models; this model has a classification head")
        }
        guard let adapters = adapted.adapters else {
            throw AdapterError.invalidSetting("a GGUF export needs an adapter (--adapter)")
        }
        self.file = file
        self.decoder = decoder
        self.adapters = adapters
    }

    /// The type named `name` (`q8_0`, `F16`) if it is one of `allowed`, else an error naming
    /// `setting` and listing them.
    public static func type(named name: String, allowed: [GGMLType], setting: String) throws -> GGMLType {
        guard let type = allowed.first(where: { $0.description.lowercased() == name.lowercased() }) else {
            throw AdapterError.invalidSetting("\(setting) must be one of \(names(allowed)), not \"\(name)\"")
        }
        return type
    }

    /// Throws unless `type` is one of `allowed`.
    static func require(_ type: GGMLType, in allowed: [GGMLType], setting: String) throws {
        _ = try self.type(named: type.description, allowed: allowed, setting: setting)
    }

    /// `f16, bf16, q8_0`: the names the CLI takes.
    public static func names(_ types: [GGMLType]) -> String {
        types.map { $0.description.lowercased() }.joined(separator: ", ")
    }

    /// Where the parameter named `name` (Transformers' name) lives in the base file.
    func source(of name: String) throws -> SourceTensor {
        guard let source = decoder.sourceTensors[name], file.contains(source.name) else {
            throw AdapterError.mismatch(path: file.url.path, problem: "no tensor of this file holds \(name)")
        }
        return source
    }

    /// `tensor` (rows in Transformers' order) with its rows in the file's stored order.
    static func storedOrder(_ tensor: Tensor, of source: SourceTensor) throws -> Tensor {
        guard let heads = source.permutedHeads else { return tensor }
        return try GGUFLlamaLayout.ggmlOrder(tensor, heads: heads, name: source.name)
    }

    /// `requested`, or f16 where a row is not a whole number of its blocks, as llama.cpp's
    /// converter falls back (a rank-8 factor's rows of 8 values cannot be Q8_0).
    static func type(_ requested: GGMLType, forRowLength n: Int) -> GGMLType {
        n % requested.blockSize == 0 ? requested : .f16
    }
}
