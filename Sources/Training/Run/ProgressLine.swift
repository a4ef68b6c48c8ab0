import Foundation

/// What the progress line shows about a training run at one moment.
public struct TrainingProgress: Sendable, Equatable {
    /// Optimizer steps done, and planned.
    public var step: Int
    public var totalSteps: Int
    /// The latest (or recent mean) training loss, if one is known.
    public var loss: Double?
    public var learningRate: Double?
    /// Real (non-padding) tokens processed per second, recently.
    public var tokensPerSecond: Double?
    /// Wall-clock seconds since training started (or resumed).
    public var elapsed: Double
    /// The step this session started from (a resumed run), so the rate and ETA use only the
    /// steps timed in this session.
    public var startStep: Int
    /// Processes of a data-parallel run (`mpirun -np N`), and the gradient bytes each of them
    /// all-reduced in the last step; shown when there is more than one.
    public var worldSize = 1
    public var allReducedBytes = 0

    public init(step: Int, totalSteps: Int, loss: Double? = nil, learningRate: Double? = nil,
                tokensPerSecond: Double? = nil, elapsed: Double, startStep: Int = 0) {
        self.step = step
        self.totalSteps = totalSteps
        self.loss = loss
        self.learningRate = learningRate
        self.tokensPerSecond = tokensPerSecond
        self.elapsed = elapsed
        self.startStep = startStep
    }

    /// Seconds left at the pace of this session's steps; nil before the first step is timed.
    public var remainingSeconds: Double? {
        let done = step - startStep
        guard done > 0, elapsed > 0 else { return nil }
        return elapsed / Double(done) * Double(max(0, totalSteps - step))
    }

    /// `step 120/1000 (12.0%) | loss 1.2345 | lr 1.20e-04 | 215 tok/s | 0:01:23 elapsed | eta 0:10:12`
    public var line: String {
        var parts: [String] = []
        let percent = totalSteps > 0 ? 100 * Double(step) / Double(totalSteps) : 0
        parts.append("step \(step)/\(totalSteps) (\(String(format: "%.1f", percent))%)")
        if let loss { parts.append("loss \(loss.isFinite ? String(format: "%.4f", loss) : "\(loss)")") }
        if let learningRate { parts.append("lr \(String(format: "%.2e", learningRate))") }
        if let rate = tokensPerSecond {
            parts.append(rate >= 100 ? "\(Int(rate.rounded())) tok/s" : "\(String(format: "%.1f", rate)) tok/s")
        }
        if worldSize > 1 {
            parts.append("\(worldSize) ranks, \(String(format: "%.3g", Double(allReducedBytes) / 1e6)) MB all-reduced/step")
        }
        parts.append("\(TrainingProgress.clock(elapsed)) elapsed")
        parts.append("eta \(remainingSeconds.map(TrainingProgress.clock) ?? "?")")
        return parts.joined(separator: " | ")
    }

    /// `h:mm:ss` (hours grow past 24 as needed; negative or non-finite input shows `?`).
    public static func clock(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0, seconds < 1e12 else { return "?" }
        let total = Int(seconds.rounded(.down))
        let h = total / 3600, m = (total % 3600) / 60, s = total % 60
        return "\(h):\(m < 10 ? "0" : "")\(m):\(s < 10 ? "0" : "")\(s)"
    }
}

/// Shows progress lines: on a terminal one line redrawn in place (`\r`, then clear to the end of
/// the line), elsewhere (a log file, CI) one plain line per update.
public final class ProgressPrinter {
    /// Whether lines are redrawn in place.
    public let interactive: Bool
    private let output: (String) -> Void
    private var drawn = false

    /// A printer writing through `output`.
    public init(interactive: Bool, output: @escaping (String) -> Void) {
        self.interactive = interactive
        self.output = output
    }

    /// A printer on standard error, redrawing when it is a terminal.
    public static func standardError() -> ProgressPrinter {
        ProgressPrinter(interactive: isatty(STDERR_FILENO) == 1) { text in
            FileHandle.standardError.write(Data(text.utf8))
        }
    }

    /// Shows `line` in place of the previous one (terminal) or after it.
    public func update(_ line: String) {
        if interactive {
            output("\r" + line + "\u{1B}[K")
            drawn = true
        } else {
            output(line + "\n")
        }
    }

    /// Prints `message` on its own line without losing the progress line's last state (ends the
    /// redrawn line first).
    public func message(_ message: String) {
        finish()
        output(message + "\n")
    }

    /// Ends the redrawn line so later output starts on a fresh line.
    public func finish() {
        if interactive && drawn { output("\n") }
        drawn = false
    }
}
