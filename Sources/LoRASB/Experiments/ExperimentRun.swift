import Foundation

/// One training run of a suite: a configuration (a table cell) at one learning rate and seed.
/// Its id names its folder and includes both, so the runs of a grid and of several seeds never
/// share a folder and a finished one is found again after an interruption.
public struct ExperimentRun: Sendable, Equatable, Codable {
    public var configuration: ExperimentConfiguration
    public var learningRate: Double
    /// Seeds the data order and every random draw of the initialisation.
    public var seed: UInt64

    public init(_ configuration: ExperimentConfiguration, learningRate: Double, seed: UInt64) {
        self.configuration = configuration
        self.learningRate = learningRate
        self.seed = seed
    }

    /// `rte-lora-sb-r24-lr2e-03-s0`.
    public var id: String { "\(configuration.id)-lr\(Self.rateText(learningRate))-s\(seed)" }

    /// A learning rate as tables and run ids write it: `2e-03`, or with as many digits as it
    /// takes to tell it apart (`2.5e-04`), so that two rates of a grid never share an id.
    public static func rateText(_ rate: Double) -> String {
        for digits in 0..<6 {
            let text = String(format: "%.\(digits)e", rate)
            if let back = Double(text), abs(back - rate) <= 1e-12 * abs(rate) { return text }
        }
        return String(format: "%.6e", rate)
    }
}
