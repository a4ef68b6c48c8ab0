import LoRASB

/// `--task`: what an encoder's head learns. `classification` or `regression` choose the head
/// (a one-output regression head trains with mean squared error); a GLUE task name (`cola`,
/// `sst2`, `mrpc`, `qnli`, `rte`, `stsb`, or its folder name `STS-B`) chooses its columns and
/// metrics, and STS-B is a regression. Unset, both are detected from the data.
enum TaskFlag {
    static let flag = Arguments.Flag("task", help: "encoders: \(HeadTask.allCases.map(\.rawValue).joined(separator: " or ")), or a GLUE task (\(GLUETask.allCases.map(\.rawValue).joined(separator: ", "))) (default: detected from the folder name, the columns and the labels)")

    /// Sets `data.headTask` or `data.glueTask` from `value`.
    static func apply(_ value: String?, to data: inout DataOptions) throws {
        guard let value else { return }
        if let head = HeadTask(rawValue: value.lowercased()) {
            data.headTask = head
        } else if let task = GLUETask(named: value) {
            data.glueTask = task
        } else {
            let names = HeadTask.allCases.map(\.rawValue) + GLUETask.allCases.map(\.rawValue)
            throw CLIError("--task must be one of \(names.joined(separator: ", ")), got '\(value)'")
        }
    }
}
