import Foundation

/// A run's `metrics.jsonl` read back: the training loss of every logged step, the validation
/// losses, and the last record's other values (an encoder run ends with its classification
/// metrics).
public struct RunMetricsLog: Sendable, Equatable {
    public struct Point: Sendable, Equatable {
        public var step: Double
        public var value: Double
    }

    /// `loss` of each training record (NaN where the log holds `null`).
    public var trainingLoss: [Point] = []
    /// `validation_loss` of each validation record.
    public var validationLoss: [Point] = []
    /// A head's metrics of each validation record (`accuracy`, `matthews_correlation`, …), by key.
    public var validationMetrics: [String: [Point]] = [:]
    /// Numeric values of records that are neither training nor validation records, by key
    /// (later records win): the final metrics.
    public var finalValues: [String: Double] = [:]
    /// The largest `tokens` of a training record.
    public var tokens: Int?

    public init() {}

    /// Reads `url`. A torn last line (a run killed mid-write) is ignored; any other line that
    /// is not a JSON object is an error naming the file and line.
    public static func read(_ url: URL) throws -> RunMetricsLog {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ExperimentError(url.path, "cannot read: \(error.localizedDescription)")
        }
        var log = RunMetricsLog()
        let lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        let endsWithNewline = data.last == UInt8(ascii: "\n")
        for (i, line) in lines.enumerated() where !line.allSatisfy({ $0 == 32 || $0 == 13 }) {
            let object: [String: Any]
            do {
                guard let o = try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
                    throw ExperimentError(url.path, "line \(i + 1) is not a JSON object")
                }
                object = o
            } catch {
                if i == lines.count - 1, !endsWithNewline { break }   // torn final line
                if let e = error as? ExperimentError { throw e }
                throw ExperimentError(url.path, "line \(i + 1) is not valid JSON")
            }
            log.add(object)
        }
        return log
    }

    mutating func add(_ object: [String: Any]) {
        guard let step = RunMetricsLog.number(object["step"]) else { return }
        if object.keys.contains("validation_loss") {
            validationLoss.append(Point(step: step, value: RunMetricsLog.number(object["validation_loss"]) ?? .nan))
            for (key, value) in object where !RunMetricsLog.validationBookkeeping.contains(key) {
                if let v = RunMetricsLog.number(value) { validationMetrics[key, default: []].append(Point(step: step, value: v)) }
            }
        } else if object.keys.contains("loss") {
            trainingLoss.append(Point(step: step, value: RunMetricsLog.number(object["loss"]) ?? .nan))
            if let t = object["tokens"] as? NSNumber { tokens = max(tokens ?? 0, t.intValue) }
        } else {
            for (key, value) in object where key != "step" {
                if let v = RunMetricsLog.number(value) { finalValues[key] = v }
            }
        }
    }

    /// The keys of a validation record that are not a metric of the model.
    static let validationBookkeeping: Set<String> = ["step", "validation_loss", "validation_seconds"]

    /// The highest value `metric` reached at a validation after training began (step > 0): the
    /// best-epoch figure GLUE results are usually reported with. Nil when never measured.
    public func best(_ metric: String) -> Double? {
        validationMetrics[metric]?.filter { $0.step > 0 && $0.value.isFinite }.map(\.value).max()
    }

    static func number(_ value: Any?) -> Double? {
        (value as? NSNumber)?.doubleValue
    }
}
