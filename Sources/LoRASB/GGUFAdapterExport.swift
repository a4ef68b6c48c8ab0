import Adapters
import Foundation
import ModelIO
import Models
import Tensor

/// Writes an adapter as a llama.cpp LoRA adapter GGUF (`llama-cli --lora`,
/// `llama_adapter_lora_init`), the layout `convert_lora_to_gguf.py` produces:
///
/// - metadata `general.type = adapter`, the base's `general.architecture`, `adapter.type = lora`
///   and `adapter.lora.alpha` (f32); llama.cpp scales `lora_b · lora_a` by alpha / r, r being
///   the factors' rank;
/// - per adapted weight `blk.N.attn_q.weight`, the tensors `blk.N.attn_q.weight.lora_a` (ggml
///   `ne = [n_in, r]`, PEFT's `lora_A`) and `.lora_b` (`ne = [r, n_out]`, PEFT's `lora_B`), with
///   `lora_b`'s rows in the file's stored order (a `llama` file's permuted query and key rows).
///
/// The factors are each method's plain-LoRA form (`Adapter.peftFactors`, the PEFT export's): the
/// update on the original base weight. LoRA-SB and LoRA-XS fold R and the scale into them
/// (alpha = r: scale 1); rsLoRA, PiSSA's and LoRA-GA's rank-2r conversion keep their own scale,
/// written as alpha = scale · r. DoRA (a magnitude that rescales rows) and full fine-tuning (no
/// factors) are no LoRA adapter: they are refused, and `GGUFMergedExport` writes them.
public enum GGUFAdapterExport {
    @discardableResult
    public static func write(_ adapted: AdaptedModel, type: GGMLType = GGUFExportBase.defaultAdapterType,
                             to url: URL) throws -> URL {
        let base = try GGUFExportBase(adapted)
        try GGUFExportBase.require(type, in: GGUFExportBase.adapterTypes, setting: "the adapter's type")
        let settings = base.adapters.settings
        let method = settings.method.displayName
        if let trained = base.adapters.trainedModelParameters.first {
            throw AdapterError.invalidSetting("\(method) trains \(trained.name) itself, which a llama.cpp LoRA adapter cannot carry: export the merged model instead (--merge --format gguf)")
        }
        let scale = PEFTExport.scale(settings)
        var rank: Int?
        var writer = GGUFWriter()
        for e in base.adapters.entries {
            guard let adapter = e.adapter else {
                throw AdapterError.invalidSetting("\(method) has no low-rank factors for \(e.target.modulePath): export the merged model instead (--merge --format gguf)")
            }
            if let extra = adapter.peftAdditionalTensors().first {
                throw AdapterError.invalidSetting("\(method) adds \(extra.name) to \(e.target.modulePath), which a llama.cpp LoRA adapter cannot express (it is W + s·B A only): export the merged model instead (--merge --format gguf)")
            }
            let (a, b) = adapter.peftFactors()
            guard rank == nil || rank == a.rows else {
                throw AdapterError.invalidSetting("\(e.target.modulePath) has rank \(a.rows), others \(rank ?? 0): a llama.cpp adapter has one alpha for every layer")
            }
            rank = a.rows
            let source = try base.source(of: e.target.modulePath + ".weight")
            let storedB = try GGUFExportBase.storedOrder(b, of: source)
            for (suffix, factor) in [("lora_a", a), ("lora_b", storedB)] {
                writer.add(.encoding(name: "\(source.name).\(suffix)", factor,
                                     as: GGUFExportBase.type(type, forRowLength: factor.columns)))
            }
        }
        writer.set("general.architecture", .string(base.file.architecture ?? "llama"))
        writer.set("general.type", .string("adapter"))
        if let name = base.file.metadata["general.name"]?.stringValue {
            writer.set("general.name", .string("\(name) \(method) adapter"))
        }
        if let fileType = LlamaFileType.mostly(type) { writer.set("general.file_type", fileType) }
        writer.set("adapter.type", .string("lora"))
        writer.set("adapter.lora.alpha", .float32(Float(scale * Double(rank ?? settings.rank))))
        try writer.write(to: url)
        return url
    }
}
