import Foundation
import LoRASB

/// One named part of the benchmark run, selectable on the command line.
protocol BenchmarkSection {
    /// The command-line name, e.g. `sgemm`.
    var name: String { get }
    /// One line saying what is measured.
    var summary: String { get }
    /// Measures and prints its results (markdown, so they can be pasted into BENCHMARKS.md).
    func run()
}

/// Wall-clock timing of repeated runs.
enum Timing {
    /// Seconds taken by one call of `body`.
    static func seconds(_ body: () -> Void) -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
    }

    /// The median of `repetitions` timed calls, after one untimed warm-up call.
    static func median(repetitions: Int, _ body: () -> Void) -> Double {
        body()
        let times = (0..<max(1, repetitions)).map { _ in seconds(body) }.sorted()
        let mid = times.count / 2
        return times.count % 2 == 1 ? times[mid] : (times[mid - 1] + times[mid]) / 2
    }
}

/// What the numbers were measured on.
struct MachineDescription {
    var cpuModel: String
    var cores: Int
    var blas: String

    static var current: MachineDescription {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = cpuinfo.split(separator: "\n")
            .first { $0.hasPrefix("model name") }
            .flatMap { $0.split(separator: ":", maxSplits: 1).last }
            .map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown"
        return MachineDescription(cpuModel: model, cores: Parallel.cores, blas: Gemm.blasConfiguration)
    }

    var markdown: String {
        "Machine: \(cpuModel), \(cores) core\(cores == 1 ? "" : "s"); BLAS: \(blas)"
    }
}

/// A section whose measurement is a plain function.
struct FunctionSection: BenchmarkSection {
    let name: String
    let summary: String
    let body: () -> Void
    func run() { body() }
}
