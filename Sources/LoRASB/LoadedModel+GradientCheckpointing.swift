import Adapters

extension LoadedModel {
    /// Turns gradient checkpointing on or off. Only decoders have it (their blocks dominate a
    /// step's memory at real sizes); asking for it on an encoder is an error, not a no-op.
    public func useGradientCheckpointing(_ on: Bool) throws {
        guard let decoder else {
            if on {
                throw SettingError("gradientCheckpointing",
                                   "applies to decoders only; \(url.lastPathComponent) is a \(files.config.modelType) encoder")
            }
            return
        }
        decoder.gradientCheckpointing = on
    }
}
