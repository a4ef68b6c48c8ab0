import Foundation
import ModelIO
import NN
import Tensor

/// Writes an adapter in Hugging Face PEFT's LoRA format (`adapter_config.json` +
/// `adapter_model.safetensors`), which `PeftModel.from_pretrained` loads onto the Transformers
/// model.
///
/// Every adapter re-expresses itself as plain LoRA (`Adapter.peftFactors`; LoRA-SB and LoRA-XS:
/// `s·B R A = B · (s·R A)`, so `lora_B = B`, `lora_A = s·R·A`, `lora_alpha = r`), plus what the
/// method adds (`Adapter.peftAdditionalTensors`, `FineTuningMethod.peftConfigOverrides`: rsLoRA's
/// `use_rslora`, DoRA's `use_dora` and magnitude, PiSSA's rank-2r conversion). Trained model parameters (a
/// classification head) go under `base_model.model.<name>` and their modules into
/// `modules_to_save`, as PEFT saves them.
public enum PEFTExport {
    public static let configName = "adapter_config.json"
    public static let tensorsName = "adapter_model.safetensors"

    /// The PEFT tensors: name → value.
    public static func tensors(of adapters: AdapterSet) throws -> [(String, Tensor)] {
        var out: [(String, Tensor)] = []
        for e in adapters.entries {
            let key = "base_model.model.\(e.target.modulePath)"
            guard let adapter = e.adapter else {
                throw AdapterError.invalidSetting("full fine-tuning has no low-rank factors: merge it into the model instead")
            }
            let (a, b) = adapter.peftFactors()
            out += [("\(key).lora_A.weight", a), ("\(key).lora_B.weight", b)]
            out += adapter.peftAdditionalTensors().map { ("\(key).\($0.name)", $0.tensor) }
        }
        for (name, p) in adapters.trainedModelParameters {
            out.append(("base_model.model.\(name)", p.value))
        }
        return out
    }

    /// The factor PEFT multiplies `lora_B · lora_A` by for the configuration `write` records:
    /// `lora_alpha / r`, or `lora_alpha / √r` with `use_rslora`, where `r` and the flag are the
    /// method's overrides when it sets them. `lora_B · lora_A` times this is the update on the
    /// original base weight (every method but DoRA, whose magnitude rescales rows as well).
    public static func scale(_ settings: AdapterSettings) -> Double {
        let method = settings.method.implementation
        let overrides = method.peftConfigOverrides(settings)
        let r = Double(overrides["r"] as? Int ?? settings.rank)
        let rsLoRA = overrides["use_rslora"] as? Bool ?? false
        return method.peftAlpha(settings) / (rsLoRA ? r.squareRoot() : r)
    }

    /// Writes the PEFT adapter folder. `taskType` is PEFT's (`CAUSAL_LM`, `SEQ_CLS`);
    /// `baseModel` goes to `base_model_name_or_path`.
    public static func write(_ adapters: AdapterSet, taskType: String, baseModel: String,
                             to folder: URL) throws {
        try AdapterFolder.createFolder(folder)
        let s = adapters.settings
        var writer = SafeTensorsWriter(metadata: ["format": "pt"])
        for (name, t) in try tensors(of: adapters) { writer.add(name, t) }
        let headModules = orderedUnique(adapters.trainedModelParameters.map(\.name)
            .map { name in name.split(separator: ".").prefix(1).joined(separator: ".") })
        var config: [String: Any] = [
            "peft_type": "LORA",
            "task_type": taskType,
            "r": s.rank,
            "lora_alpha": s.method.implementation.peftAlpha(s),
            "lora_dropout": 0.0,
            "bias": "none",
            "fan_in_fan_out": false,
            "inference_mode": true,
            "init_lora_weights": true,
            "use_rslora": false,
            "use_dora": false,
            // Full module paths: PEFT matches a listed name exactly or as a dotted suffix, so
            // `output.dense` alone would also catch `attention.output.dense`.
            "target_modules": adapters.entries.map(\.target.modulePath),
            "modules_to_save": headModules.isEmpty ? NSNull() : headModules,
            "base_model_name_or_path": baseModel,
            "revision": NSNull(),
        ]
        config.merge(s.method.implementation.peftConfigOverrides(s)) { _, method in method }
        try writer.write(to: folder.appendingPathComponent(tensorsName))
        try AtomicFile.writeJSONObject(config, to: folder.appendingPathComponent(configName))
    }
}
