import Foundation
import LoRASB
import TestSupport
@testable import CLI

/// The request `lorasb train` makes for the tiny Llama checkpoint with `extra` flags.
func tinyTrainRequest(_ extra: [String]) throws -> FineTuneRequest {
    let model = TestPaths.fixtures.appendingPathComponent("models/tiny-llama")
    let words = ["--model", model.path, "--data", "/data/gsm8k"] + extra
    return try TrainCommand.makeRequest(try Arguments(words, flags: TrainCommand.flags))
}
