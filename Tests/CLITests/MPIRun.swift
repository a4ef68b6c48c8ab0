import Foundation
import ModelIO
import TestSupport

/// Runs the built `lorasb` under Open MPI's `mpirun` for the data-parallel tests.
struct MPIRun {
    /// `mpirun` on PATH, nil when Open MPI's launcher is not installed (the tests then skip).
    static let launcher: URL? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { URL(fileURLWithPath: String($0)).appendingPathComponent("mpirun") }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }()
    static var available: Bool { launcher != nil }

    /// The `lorasb` built beside the test bundle (`swift test` builds the product too).
    static var lorasb: URL {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("lorasb")
        if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
        return TestPaths.repoRoot.appendingPathComponent(".build/release/lorasb")
    }

    struct Result {
        var status: Int32
        var output: String
        var seconds: Double
        /// The process ids `mpirun` started, by rank (read while it ran).
        var ranks: [Int: Int32] = [:]
    }

    /// `mpirun -np N lorasb <arguments>` (several `:`-separated programs when `programs` has
    /// more than one entry), one BLAS thread per process; `whileRunning` is called every 0.2 s
    /// with the ranks' process ids until it returns false or the job ends.
    static func run(np: Int = 1, _ programs: [[String]], timeout: Double = 600,
                    whileRunning: ((_ ranks: [Int: Int32]) -> Bool)? = nil) throws -> Result {
        let process = Process()
        process.executableURL = launcher
        var words = ["--allow-run-as-root", "--oversubscribe"]
        for (i, p) in programs.enumerated() {
            if i > 0 { words.append(":") }
            words += ["-np", String(np), lorasb.path] + p
        }
        process.arguments = words
        var environment = ProcessInfo.processInfo.environment
        environment["OPENBLAS_NUM_THREADS"] = "1"
        process.environment = environment
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("mpirun-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: log) }
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        let started = Date()
        try process.run()
        var ranks: [Int: Int32] = [:]
        var watching = whileRunning != nil
        while process.isRunning {
            if Date().timeIntervalSince(started) > timeout {
                process.terminate()
                break
            }
            if watching {
                ranks.merge(children(of: process.processIdentifier)) { a, _ in a }
                watching = whileRunning?(ranks) ?? false
            }
            Thread.sleep(forTimeInterval: 0.2)
        }
        process.waitUntilExit()
        try handle.close()
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        return Result(status: process.terminationStatus, output: output,
                      seconds: Date().timeIntervalSince(started), ranks: ranks)
    }

    /// The children of `parent` that Open MPI started, by their OMPI_COMM_WORLD_RANK.
    static func children(of parent: Int32) -> [Int: Int32] {
        var found: [Int: Int32] = [:]
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for entry in entries {
            guard let pid = Int32(entry),
                  let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 2, Int32(fields[1]) == parent,
                  let environ = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { continue }
            for variable in environ.split(separator: 0) {
                let text = String(decoding: variable, as: UTF8.self)
                if text.hasPrefix("OMPI_COMM_WORLD_RANK="), let rank = Int(text.dropFirst("OMPI_COMM_WORLD_RANK=".count)) {
                    found[rank] = pid
                }
            }
        }
        return found
    }

    /// The training losses of a run's `metrics.jsonl`, by step.
    static func losses(_ run: URL) throws -> [Int: Double] {
        let text = try String(contentsOf: run.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
        var losses: [Int: Double] = [:]
        for line in text.split(separator: "\n") {
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let step = object["step"] as? Int, let loss = object["loss"] as? Double else { continue }
            losses[step] = loss
        }
        return losses
    }

    /// The largest difference between two adapters relative to the largest magnitude (1 when
    /// their tensor names differ). Factored updates are compared as what they compute,
    /// `B (R (A x))` for a fixed probe `x`: the SVD's factors are defined up to the signs of
    /// paired columns of B and rows of A, which a float-summation difference may flip.
    static func adapterDifference(_ a: URL, _ b: URL) throws -> Float {
        let x = try SafeTensorsFile(url: a.appendingPathComponent("adapter.safetensors"))
        let y = try SafeTensorsFile(url: b.appendingPathComponent("adapter.safetensors"))
        guard x.names.sorted() == y.names.sorted(), !x.names.isEmpty else { return 1 }
        var worst: Float = 0
        func compare(_ s: [Float], _ t: [Float]) -> Float {
            guard s.count == t.count else { return 1 }
            let scale = max(1e-6, s.map(abs).max() ?? 0)
            return zip(s, t).map { abs($0 - $1) }.max().map { $0 / scale } ?? 0
        }
        for name in x.names where !name.hasSuffix(".lora_R") && !name.hasSuffix(".lora_B") {
            guard name.hasSuffix(".lora_A") else {
                worst = max(worst, compare(try x.tensor(named: name).array, try y.tensor(named: name).array))
                continue
            }
            let module = String(name.dropLast(".lora_A".count))
            worst = max(worst, compare(try probe(x, module), try probe(y, module)))
        }
        return worst
    }

    /// `B (R (A x))` (R when the method has one) for the probe `x_i = sin(i + 1)`.
    static func probe(_ file: SafeTensorsFile, _ module: String) throws -> [Float] {
        func apply(_ name: String, _ v: [Float]) throws -> [Float] {
            let m = try file.tensor(named: name)
            let (rows, columns) = (m.shape[0], m.shape[1])
            let values = m.array
            precondition(columns == v.count, "\(name) is \(m.shape), the vector has \(v.count)")
            return (0..<rows).map { r in (0..<columns).reduce(Float(0)) { $0 + values[r * columns + $1] * v[$1] } }
        }
        let a = try file.tensor(named: module + ".lora_A")
        var v = try apply(module + ".lora_A", (0..<a.shape[1]).map { Float(sin(Double($0 + 1))) })
        if file.contains(module + ".lora_R") { v = try apply(module + ".lora_R", v) }
        return try apply(module + ".lora_B", v)
    }
}
