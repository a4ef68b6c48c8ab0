/// Every fine-tuning method lorasb knows, in the order help texts list them. Adding a method is
/// adding its file (a `FineTuningMethod`, its `Adapter` and its `AdapterMethod` name) and one
/// line here.
public enum AdapterRegistry {
    public static let methods: [FineTuningMethod.Type] = [
        LoRASBMethod.self,
        LoRAXSMethod.self,
        LoRAMethod.self,
        RsLoRAMethod.self,
        PiSSAMethod.self,
        DoRAMethod.self,
        FullFineTuningMethod.self,
        LoRAGAMethod.self,
        LoRAProMethod.self,
    ]
}
