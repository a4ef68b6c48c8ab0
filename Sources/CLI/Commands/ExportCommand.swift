import Foundation
import LoRASB
import ModelIO

/// `lorasb export`: a trained adapter as a PEFT adapter folder, merged into a complete Hugging
/// Face model folder, or for llama.cpp: a LoRA adapter GGUF, or the merged model as GGUF.
struct ExportCommand: Command {
    static let name = "export"
    static let summary = "export an adapter: PEFT folder (--format peft), merged Hugging Face folder (--merge), llama.cpp LoRA adapter (--format gguf) or merged GGUF (--merge --format gguf)"
    static let flags: [Arguments.Flag] = [
        .init("model", help: "the base model the adapter was trained on (folder or .gguf file; --format gguf needs the .gguf)"),
        .init("adapter", aliases: ["adapter-path"], help: "the lorasb adapter folder (from lorasb train)"),
        .init("output", help: "the folder (peft, Hugging Face merge) or .gguf file (gguf) to write"),
        .init("format", help: "peft: adapter_config.json + adapter_model.safetensors for PeftModel.from_pretrained; gguf: a llama.cpp LoRA adapter (llama-cli --lora), or with --merge the complete model as GGUF"),
        .init("merge", value: false, help: "fold W + s·B R A into the weights: a Hugging Face model folder (config.json, model.safetensors in fp32, tokenizer files; a GGUF base is dequantised), or with --format gguf the base GGUF with its metadata and other tensors copied unchanged"),
        .init("type", help: "--format gguf: the tensor type of the adapter (\(GGUFExportBase.names(GGUFExportBase.adapterTypes)); default \(GGUFExportBase.names([GGUFExportBase.defaultAdapterType]))) or of the merged matrices (\(GGUFExportBase.names(GGUFExportBase.mergedTypes)); default \(GGUFExportBase.names([GGUFExportBase.defaultMergedType]))); for K-quants run llama-quantize on the f16 output"),
    ]

    /// What one invocation writes.
    enum Target {
        case peft, huggingFaceMerge, ggufAdapter(GGMLType), ggufMerge(GGMLType)
    }

    /// The target the flags ask for, or an error saying which combination is wrong.
    static func target(_ args: Arguments) throws -> Target {
        let merge = args.has("merge")
        let type = args.string("type")
        switch args.string("format") {
        case nil:
            guard merge else { throw CLIError("give --format peft, --format gguf or --merge") }
            guard type == nil else { throw CLIError("--type applies to --format gguf only") }
            return .huggingFaceMerge
        case "peft":
            guard !merge else { throw CLIError("--format peft writes an adapter; for a merged model use --merge (Hugging Face folder) or --merge --format gguf") }
            guard type == nil else { throw CLIError("--type applies to --format gguf only") }
            return .peft
        case "gguf":
            let allowed = merge ? GGUFExportBase.mergedTypes : GGUFExportBase.adapterTypes
            let fallback = merge ? GGUFExportBase.defaultMergedType : GGUFExportBase.defaultAdapterType
            let chosen = try type.map { try GGUFExportBase.type(named: $0, allowed: allowed, setting: merge ? "--type (with --merge)" : "--type") } ?? fallback
            return merge ? .ggufMerge(chosen) : .ggufAdapter(chosen)
        case let other?:
            throw CLIError("--format must be peft or gguf, not \"\(other)\"")
        }
    }

    static func run(_ args: Arguments) throws {
        let modelURL = URL(fileURLWithPath: try args.required("model"))
        let adapter = URL(fileURLWithPath: try args.required("adapter"))
        let output = URL(fileURLWithPath: try args.required("output"))
        let target = try target(args)
        let adapted = try AdaptedModel(model: modelURL, adapter: adapter)
        let files: [URL]
        switch target {
        case .peft: files = try PEFTAdapterExport.write(adapted, to: output)
        case .huggingFaceMerge: files = try MergedModelExport.write(adapted, to: output)
        case .ggufAdapter(let type): files = [try GGUFAdapterExport.write(adapted, type: type, to: output)]
        case .ggufMerge(let type): files = [try GGUFMergedExport.write(adapted, type: type, to: output)]
        }
        for f in files { print(f.path) }
        if case .peft = target, adapted.model.files.gguf != nil {
            printStandardError("note: Transformers loads this GGUF base with from_pretrained(folder, gguf_file=\"\(modelURL.lastPathComponent)\") (dequantised to fp32), then PeftModel.from_pretrained(base, \"\(output.path)\")")
        }
    }
}
