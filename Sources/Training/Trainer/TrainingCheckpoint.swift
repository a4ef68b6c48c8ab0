import Adapters
import Foundation
import ModelIO
import Tensor

/// Where a run stands, saved with every checkpoint: enough to continue bit for bit.
public struct TrainerState: Codable, Sendable, Equatable {
    /// Optimizer steps completed.
    public var step: Int
    /// The training batch order's position (epoch, batch, generator).
    public var sampler: BatchSampler.State
    /// Real tokens trained on so far.
    public var tokensSeen: Int
    /// Wall-clock seconds of training so far (all sessions).
    public var trainingSeconds: Double
    /// The settings the run was started with, checked on resume.
    public var settings: TrainerSettings
}

/// A checkpoint folder: the adapter (its own folder format), the optimizer's moments
/// (`optimizer.safetensors`) and `trainer_state.json`.
///
/// Checkpoints are written whole into a temporary folder that is then renamed into place, and
/// `latest` (a one-line file naming the newest) is replaced atomically after it; a crash or a
/// full disk mid-save leaves the previous checkpoint untouched and still named by `latest`.
public enum TrainingCheckpoint {
    public static let folderName = "checkpoints"
    public static let latestName = "latest"
    static let optimizerName = "optimizer.safetensors"
    static let stateName = "trainer_state.json"
    /// Checkpoints kept; older ones are deleted after a newer one is complete.
    public static let kept = 2

    /// The folder of step `step`'s checkpoint of the run in `run`.
    public static func folder(run: URL, step: Int) -> URL {
        run.appendingPathComponent(folderName).appendingPathComponent(String(format: "step-%06d", step))
    }

    /// Saves a checkpoint of step `state.step` under `run/checkpoints/` and returns its folder.
    @discardableResult
    public static func save(run: URL, adapters: AdapterSet, manifest: AdapterManifest,
                            optimizer: AdamWState, state: TrainerState) throws -> URL {
        let root = run.appendingPathComponent(folderName)
        try createFolder(root)
        let final = folder(run: run, step: state.step)
        let name = final.lastPathComponent
        let temporary = root.appendingPathComponent(".\(name).\(UUID().uuidString).tmp")
        do {
            try AdapterFolder.save(adapters, manifest: manifest, to: temporary)
            var writer = SafeTensorsWriter(metadata: ["step": String(optimizer.step)])
            for (i, n) in optimizer.names.enumerated() {
                writer.add("exp_avg.\(n)", optimizer.firstMoments[i])
                writer.add("exp_avg_sq.\(n)", optimizer.secondMoments[i])
            }
            try writer.write(to: temporary.appendingPathComponent(optimizerName))
            try AtomicFile.writeJSON(state, to: temporary.appendingPathComponent(stateName))
            if FileManager.default.fileExists(atPath: final.path) {
                try FileManager.default.removeItem(at: final)
            }
            try FileManager.default.moveItem(at: temporary, to: final)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw FileWriteError(path: final.path, "cannot save the checkpoint: \(error)")
        }
        try AtomicFile.write(Data((name + "\n").utf8), to: root.appendingPathComponent(latestName))
        prune(root, keeping: name)
        return final
    }

    /// The checkpoint folder `path` names: a checkpoint itself, or a run folder (its latest).
    public static func locate(_ path: URL) throws -> URL {
        let fm = FileManager.default
        if fm.fileExists(atPath: path.appendingPathComponent(stateName).path) { return path }
        let latest = path.appendingPathComponent(folderName).appendingPathComponent(latestName)
        guard let data = fm.contents(atPath: latest.path),
              let name = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines),
              !name.isEmpty, !name.contains("/") else {
            throw FileWriteError(path: path.path, "no checkpoint here (expected \(stateName) or \(folderName)/\(latestName))")
        }
        let folder = path.appendingPathComponent(folderName).appendingPathComponent(name)
        guard fm.fileExists(atPath: folder.appendingPathComponent(stateName).path) else {
            throw FileWriteError(path: folder.path, "the latest checkpoint is incomplete (no \(stateName))")
        }
        return folder
    }

    /// Reads the trainer state and optimizer moments of a checkpoint folder.
    public static func load(_ folder: URL) throws -> (state: TrainerState, optimizer: AdamWState) {
        let stateURL = folder.appendingPathComponent(stateName)
        guard let data = FileManager.default.contents(atPath: stateURL.path) else {
            throw DataError(path: stateURL.path, line: nil, "cannot read the trainer state")
        }
        let state: TrainerState
        do {
            state = try JSONDecoder().decode(TrainerState.self, from: data)
        } catch {
            throw DataError(path: stateURL.path, line: nil, "not a valid trainer state: \(error)")
        }
        let file = try SafeTensorsFile(url: folder.appendingPathComponent(optimizerName))
        let names = file.names.filter { $0.hasPrefix("exp_avg.") }.map { String($0.dropFirst("exp_avg.".count)) }
        var first: [Tensor] = [], second: [Tensor] = []
        for n in names {
            first.append(try file.tensor(named: "exp_avg.\(n)"))
            guard file.contains("exp_avg_sq.\(n)") else {
                throw DataError(path: file.url.path, line: nil, "missing exp_avg_sq.\(n)")
            }
            second.append(try file.tensor(named: "exp_avg_sq.\(n)"))
        }
        guard let step = file.metadata["step"].flatMap(Int.init) else {
            throw DataError(path: file.url.path, line: nil, "missing the optimizer step count")
        }
        return (state, AdamWState(step: step, names: names, firstMoments: first, secondMoments: second))
    }

    static func prune(_ root: URL, keeping newest: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: root.path) else { return }
        let steps = names.filter { $0.hasPrefix("step-") }.sorted()
        for old in steps.dropLast(kept) where old != newest {
            try? FileManager.default.removeItem(at: root.appendingPathComponent(old))
        }
    }

    /// Creates `url` and its parents; errors name the folder.
    public static func createFolder(_ url: URL) throws {
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw FileWriteError(path: url.path, "cannot create the folder (\(error.localizedDescription))")
        }
    }
}
