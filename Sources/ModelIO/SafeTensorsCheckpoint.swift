import Foundation
import Tensor

/// The weights of a Hugging Face checkpoint folder: one `model.safetensors`, or shards listed by
/// `model.safetensors.index.json` (`{"weight_map": {tensor name: shard file name}}`).
///
/// Each tensor is read from the shard that holds it; every shard is mapped and its header
/// validated when the checkpoint opens, and the index must agree with the shards' contents.
public final class SafeTensorsCheckpoint: @unchecked Sendable {
    public static let indexFileName = "model.safetensors.index.json"
    public static let singleFileName = "model.safetensors"

    /// The folder (or, for a single file opened directly, the file).
    public let url: URL
    /// The shards, in file-name order.
    public let files: [SafeTensorsFile]
    /// Tensor names, sorted.
    public let names: [String]
    private let shardOfTensor: [String: SafeTensorsFile]

    /// Opens a folder holding an index and shards, a single `model.safetensors`, or exactly one
    /// `.safetensors` file; or `url` may be a `.safetensors` file itself.
    public init(url: URL) throws {
        self.url = url
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw ModelIOError(url, "no such file or folder")
        }
        if !isDirectory.boolValue {
            let file = try SafeTensorsFile(url: url)
            files = [file]
            shardOfTensor = Dictionary(file.names.map { ($0, file) }, uniquingKeysWith: { a, _ in a })
            names = file.names.sorted()
            return
        }
        let index = url.appendingPathComponent(SafeTensorsCheckpoint.indexFileName)
        if FileManager.default.fileExists(atPath: index.path) {
            (files, shardOfTensor) = try SafeTensorsCheckpoint.openSharded(folder: url, index: index)
        } else {
            let single = try SafeTensorsCheckpoint.singleFile(in: url)
            let file = try SafeTensorsFile(url: single)
            files = [file]
            shardOfTensor = Dictionary(file.names.map { ($0, file) }, uniquingKeysWith: { a, _ in a })
        }
        names = shardOfTensor.keys.sorted()
    }

    private static func singleFile(in folder: URL) throws -> URL {
        let preferred = folder.appendingPathComponent(singleFileName)
        if FileManager.default.fileExists(atPath: preferred.path) { return preferred }
        let contents = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        let candidates = contents.filter { $0.hasSuffix(".safetensors") }.sorted()
        guard candidates.count == 1 else {
            throw ModelIOError(folder, candidates.isEmpty
                ? "holds no .safetensors file"
                : "holds several .safetensors files (\(candidates.joined(separator: ", "))) but no \(indexFileName)")
        }
        return folder.appendingPathComponent(candidates[0])
    }

    private static func openSharded(folder: URL, index: URL) throws
        -> ([SafeTensorsFile], [String: SafeTensorsFile])
    {
        let json = try JSONObject(contentsOf: index)
        let weightMap = try json.required("weight_map", json.object)
        var shardNames = Set<String>()
        var mapping: [String: String] = [:]
        for name in weightMap.keys {
            guard let shard = try weightMap.string(name) else {
                throw ModelIOError(index, "weight_map entry \"\(name)\" is null")
            }
            guard !shard.isEmpty, !shard.contains("/"), shard != ".", shard != ".." else {
                throw ModelIOError(index, "weight_map entry \"\(name)\" names \"\(shard)\", which is not a file in the folder")
            }
            shardNames.insert(shard)
            mapping[name] = shard
        }
        var opened: [String: SafeTensorsFile] = [:]
        for shard in shardNames.sorted() {
            opened[shard] = try SafeTensorsFile(url: folder.appendingPathComponent(shard))
        }
        var shardOfTensor: [String: SafeTensorsFile] = [:]
        for (name, shard) in mapping {
            guard let file = opened[shard] else { continue }
            guard file.contains(name) else {
                throw ModelIOError(index, "weight_map puts \"\(name)\" in \(shard), which has no such tensor")
            }
            shardOfTensor[name] = file
        }
        let files = shardNames.sorted().compactMap { opened[$0] }
        return (files, shardOfTensor)
    }

    /// Whether a tensor called `name` exists.
    public func contains(_ name: String) -> Bool { shardOfTensor[name] != nil }

    /// The shard holding `name`.
    public func file(holding name: String) throws -> SafeTensorsFile {
        guard let file = shardOfTensor[name] else {
            throw ModelIOError(url, "no tensor named \"\(name)\"")
        }
        return file
    }

    public func info(named name: String) throws -> SafeTensorsTensorInfo {
        try file(holding: name).info(named: name)
    }

    /// The tensor `name` as fp32.
    public func tensor(named name: String) throws -> Tensor {
        try file(holding: name).tensor(named: name)
    }

    /// The integer buffer `name` as `Int`s.
    public func integers(named name: String) throws -> [Int] {
        try file(holding: name).integers(named: name)
    }

    /// The `__metadata__` of every shard, merged.
    public var metadata: [String: String] {
        files.reduce(into: [:]) { acc, f in acc.merge(f.metadata) { a, _ in a } }
    }

    /// Total bytes of the shards.
    public var totalFileSize: Int { files.reduce(0) { $0 + $1.fileSize } }
}
