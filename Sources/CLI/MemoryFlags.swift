import LoRASB

/// Options that trade time for memory in training (`train`, `experiment`). The defaults are
/// `FineTuneRequest`'s.
enum MemoryFlags {
    static let library = TrainCommand.request

    static let flags: [Arguments.Flag] = [
        .init("grad-checkpoint", value: false,
              help: "decoders: keep only each block's input in forward and recompute the block in backward; the same gradients in less memory, about one more forward per step (default \(library.gradientCheckpointing ? "on" : "off"))"),
    ]

    /// Sets what the flags name on `request`; the manifest records a switch that is on.
    static func apply(_ args: Arguments, to request: inout FineTuneRequest) {
        if args.has("grad-checkpoint") {
            request.gradientCheckpointing = true
            request.commandLine["grad-checkpoint"] = "true"
        }
    }
}
