import Adapters
import Foundation
import ModelIO
import Models
import Tensor

/// Writes the base GGUF with the adapter folded in: a complete model llama.cpp runs without
/// `--lora`.
///
/// Every metadata entry (tokenizer, chat template, hyperparameters) and every tensor the
/// adapter does not change are copied unchanged, byte for byte and in the base's order. Each
/// adapted weight becomes the method's own merge (`Adapter.merged`, as `mergeIntoBase` computes
/// it: `W + s·B R A`, PiSSA's residual, DoRA's rescaled rows), with its rows back in the file's
/// stored order, encoded as the chosen type (f16 by default) — a matrix at a time, so the
/// largest fp32 copy is one weight matrix, never the model. Full fine-tuning's trained
/// parameters replace their tensors the same way (vectors stay f32). `general.file_type` names
/// the chosen type. For K-quants, run llama.cpp's `llama-quantize` on the f16 output.
public enum GGUFMergedExport {
    @discardableResult
    public static func write(_ adapted: AdaptedModel, type: GGMLType = GGUFExportBase.defaultMergedType,
                             to url: URL) throws -> URL {
        let base = try GGUFExportBase(adapted)
        try GGUFExportBase.require(type, in: GGUFExportBase.mergedTypes, setting: "the merged model's type")
        let merged = try mergedTensors(base)
        var writer = GGUFWriter()
        for key in base.file.metadataKeys {
            if let value = base.file.metadata[key] { writer.set(key, value) }
        }
        if let fileType = LlamaFileType.mostly(type) { writer.set("general.file_type", fileType) }
        if type.blockSize > 1, base.file.metadata["general.quantization_version"] == nil {
            writer.set("general.quantization_version", .uint32(2))  // ggml's GGML_QNT_VERSION
        }
        for info in base.file.tensorInfos {
            guard let value = merged[info.name] else {
                writer.add(try .copying(info.name, of: base.file))
                continue
            }
            let tensorType = info.dimensions.count > 1 ? GGUFExportBase.type(type, forRowLength: info.dimensions[0]) : .f32
            writer.add(.encoding(name: info.name, shape: info.shape, as: tensorType, computing: value))
        }
        try writer.write(to: url)
        return url
    }

    /// The changed tensors by GGUF name, each computed on demand in the file's row order.
    static func mergedTensors(_ base: GGUFExportBase) throws -> [String: () throws -> Tensor] {
        var merged: [String: () throws -> Tensor] = [:]
        for e in base.adapters.entries {
            guard let adapter = e.adapter else { continue }  // full fine-tuning: its weights below
            let source = try base.source(of: e.target.modulePath + ".weight")
            let linear = e.target.linear
            merged[source.name] = { try GGUFExportBase.storedOrder(adapter.merged(into: linear.weight.value), of: source) }
        }
        for (name, parameter) in base.adapters.trainedModelParameters {
            let source = try base.source(of: name)
            merged[source.name] = { try GGUFExportBase.storedOrder(parameter.value, of: source) }
        }
        return merged
    }
}
