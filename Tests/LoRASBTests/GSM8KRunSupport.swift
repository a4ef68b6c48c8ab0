import Foundation
import LoRASB
import TestSupport

extension DataOptions {
    /// The shared GSM8K problems, question → answer, the first `train` training problems and
    /// `validation` test problems (the fine-tuning tests' data).
    static func gsm8k(train: Int, validation: Int) -> DataOptions {
        DataOptions(path: TestPaths.sharedData.appendingPathComponent("gsm8k"),
                    promptField: "question", completionField: "answer",
                    maxTrainExamples: train, maxValidationExamples: validation)
    }
}

/// A fresh run folder under the temporary directory, named after `label`.
func temporaryRunFolder(_ label: String) -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent("lorasb-\(label)-\(UUID().uuidString)")
}
