import Adapters
import Foundation
import ModelIO

/// What one finished run of a suite produced, saved as `experiment.json` in its run folder. Its
/// presence (with a matching `spec`) marks the configuration as done, so a rerun skips it.
public struct ExperimentRecord: Codable, Sendable, Equatable {
    /// The configuration, learning rate and seed the run trained with.
    public var run: ExperimentRun
    /// Every setting the run depended on; a record whose spec differs from the current one is
    /// stale and the run is redone.
    public var spec: [String: String]
    public var trainableParameters: Int
    public var totalParameters: Int
    /// Final values by name (only finite ones): `validation_loss`, `init_validation_loss`,
    /// `base_validation_loss`, classification metrics (`accuracy`, `f1`,
    /// `matthews_correlation`), and each `ExperimentAccuracy`'s (`gsm8k_accuracy`, `gsm8k_correct`,
    /// `gsm8k_problems`, `commonsense.boolq_accuracy`, …).
    public var metrics: [String: Double]
    /// LoRA-SB: gradient estimate + SVD; nil for methods without a measured initialisation.
    public var initSeconds: Double?
    /// The trainer's own clock: steps and the validation passes between them.
    public var trainingSeconds: Double
    /// The accuracies' evaluations after training (GSM8K, MATH500, commonsense).
    public var evaluationSeconds: Double?
    /// Everything the run took: loading, tokenising, initialising, training, evaluating.
    public var wallSeconds: Double
    /// Real (non-padding) tokens trained on.
    public var tokens: Int?

    public init(run: ExperimentRun, spec: [String: String], trainableParameters: Int, totalParameters: Int,
                metrics: [String: Double], initSeconds: Double?, trainingSeconds: Double,
                evaluationSeconds: Double?, wallSeconds: Double, tokens: Int?) {
        self.run = run
        self.spec = spec
        self.trainableParameters = trainableParameters
        self.totalParameters = totalParameters
        self.metrics = metrics
        self.initSeconds = initSeconds
        self.trainingSeconds = trainingSeconds
        self.evaluationSeconds = evaluationSeconds
        self.wallSeconds = wallSeconds
        self.tokens = tokens
    }

    /// A record of `configuration` at its own rate and seed 0.
    public init(configuration: ExperimentConfiguration, spec: [String: String], trainableParameters: Int,
                totalParameters: Int, metrics: [String: Double], initSeconds: Double?, trainingSeconds: Double,
                evaluationSeconds: Double?, wallSeconds: Double, tokens: Int?) {
        self.init(run: ExperimentRun(configuration, learningRate: configuration.learningRate, seed: 0), spec: spec,
                  trainableParameters: trainableParameters, totalParameters: totalParameters, metrics: metrics,
                  initSeconds: initSeconds, trainingSeconds: trainingSeconds, evaluationSeconds: evaluationSeconds,
                  wallSeconds: wallSeconds, tokens: tokens)
    }

    /// The table cell the run belongs to.
    public var configuration: ExperimentConfiguration { run.configuration }

    public static let fileName = "experiment.json"
    public static let validationLoss = "validation_loss"
    public static let initValidationLoss = "init_validation_loss"
    public static let baseValidationLoss = "base_validation_loss"
    /// The key of a head metric's best value over the run's validations (`best_accuracy`).
    public static func best(_ metric: String) -> String { "best_\(metric)" }

    /// The record in `folder`, or nil when there is none.
    public static func load(from folder: URL) throws -> ExperimentRecord? {
        let url = folder.appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ExperimentError(url.path, "cannot read: \(error.localizedDescription)")
        }
        do { return try JSONDecoder().decode(ExperimentRecord.self, from: data) } catch {
            throw ExperimentError(url.path, "not a valid experiment record (\(error)); delete it to redo the run")
        }
    }

    /// Writes the record into `folder`, atomically.
    public func save(in folder: URL) throws {
        var copy = self
        copy.metrics = metrics.filter { $0.value.isFinite }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try AtomicFile.write(try encoder.encode(copy), to: folder.appendingPathComponent(ExperimentRecord.fileName))
    }
}

/// A problem with an experiment's files or settings, naming the file or option.
public struct ExperimentError: Error, CustomStringConvertible {
    public let description: String
    public init(_ path: String, _ problem: String) { description = "\(path): \(problem)" }
}
