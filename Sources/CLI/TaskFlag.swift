import LoRASB

/// `--task`: what the data is. For decoders a task family (`TaskFamilies`: gsm8k, math,
/// commonsense) chooses how the data is read, prompted and scored. For encoders,
/// `classification` or `regression` choose the head (a one-output regression head trains with
/// mean squared error); a GLUE task name (`cola`, `sst2`, `mrpc`, `qnli`, `rte`, `stsb`, or its
/// folder name `STS-B`) chooses its columns and metrics, and STS-B is a regression. Unset, all
/// of these are detected from the data.
enum TaskFlag {
    static let flag = Arguments.Flag("task", help: "decoders: a task family (\(TaskFamilies.names.joined(separator: ", "))); encoders: \(HeadTask.allCases.map(\.rawValue).joined(separator: " or ")), or a GLUE task (\(GLUETask.allCases.map(\.rawValue).joined(separator: ", "))) (default: detected from the data: folder name, columns, labels)")

    static var choices: [String] {
        TaskFamilies.names + HeadTask.allCases.map(\.rawValue) + GLUETask.allCases.map(\.rawValue)
    }

    /// Sets `data.taskFamily`, `data.headTask` or `data.glueTask` from `value`.
    static func apply(_ value: String?, to data: inout DataOptions) throws {
        guard let value else { return }
        if let family = TaskFamilies.named(value) {
            data.taskFamily = family.name
        } else if let head = HeadTask(rawValue: value.lowercased()) {
            data.headTask = head
        } else if let task = GLUETask(named: value) {
            data.glueTask = task
        } else {
            throw CLIError("--task must be one of \(choices.joined(separator: ", ")), got '\(value)'")
        }
    }
}
