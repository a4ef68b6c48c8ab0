import Foundation
import LoRASB

/// `lorasb export`: a trained adapter as a PEFT adapter folder, or merged into a complete
/// Hugging Face model folder.
struct ExportCommand: Command {
    static let name = "export"
    static let summary = "export an adapter for Hugging Face: PEFT adapter folder (--format peft) or merged model (--merge)"
    static let flags: [Arguments.Flag] = [
        .init("model", help: "the base model the adapter was trained on (folder or .gguf file)"),
        .init("adapter", aliases: ["adapter-path"], help: "the lorasb adapter folder (from lorasb train)"),
        .init("output", help: "the folder to write"),
        .init("format", help: "peft: adapter_config.json + adapter_model.safetensors for PeftModel.from_pretrained"),
        .init("merge", value: false, help: "write a full model folder with W + s·B R A folded in (config.json, model.safetensors in fp32, tokenizer files); a GGUF base is dequantised, so the merged model is fp32"),
    ]

    static func run(_ args: Arguments) throws {
        let modelURL = URL(fileURLWithPath: try args.required("model"))
        let adapter = URL(fileURLWithPath: try args.required("adapter"))
        let output = URL(fileURLWithPath: try args.required("output"))
        let merge = args.has("merge")
        let format = args.string("format")
        if let format, format != "peft" { throw CLIError("--format must be peft (or use --merge)") }
        guard merge != (format != nil) else { throw CLIError("give exactly one of --format peft or --merge") }
        let adapted = try AdaptedModel(model: modelURL, adapter: adapter)
        let files = merge ? try MergedModelExport.write(adapted, to: output)
                          : try PEFTAdapterExport.write(adapted, to: output)
        for f in files { print(f.path) }
        if !merge && adapted.model.files.gguf != nil {
            printStandardError("note: Transformers loads this GGUF base with from_pretrained(folder, gguf_file=\"\(modelURL.lastPathComponent)\") (dequantised to fp32), then PeftModel.from_pretrained(base, \"\(output.path)\")")
        }
    }
}
