import Foundation

/// Checks before training that every process reads the same model and data: each hashes its
/// files (size and SHA-256), rank 0's list is broadcast, and every process learns which ranks
/// differ and in which file, so all of them stop with the same message instead of training on
/// different inputs (or leaving the others waiting).
public enum InputAgreement {
    /// One input: its path (as given) and what identifies its bytes.
    public struct FileDigest: Codable, Equatable, Sendable {
        public var path: String
        public var size: Int
        public var sha256: String
    }

    /// The digests of `inputs`; a folder contributes every regular file under it, in path order.
    public static func digests(of inputs: [URL]) throws -> [FileDigest] {
        try files(under: inputs).map { url in
            let size = try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int ?? 0
            return FileDigest(path: url.path, size: size, sha256: try SHA256.file(url))
        }
    }

    /// Throws on every process, naming the first file and the ranks that differ, unless all
    /// processes' `inputs` hash as rank 0's do. Nothing is read in a world of one.
    public static func check(_ inputs: [URL], on communicator: any Communicator) throws {
        guard communicator.isDistributed else { return }
        let mine = try digests(of: inputs)
        var payload = try JSONEncoder().encode(mine)
        var count = [Double(payload.count)]
        if !communicator.isRoot { count = [0] }
        count = try communicator.allReduceSum(count)   // rank 0's size reaches everyone
        var bytes = [UInt8](repeating: 0, count: Int(count[0]))
        if communicator.isRoot { bytes = [UInt8](payload) }
        try bytes.withUnsafeMutableBytes { try communicator.broadcast($0, from: 0) }
        payload = Data(bytes)
        let root = try JSONDecoder().decode([FileDigest].self, from: payload)
        // Slot r holds 1 + the index of rank r's first differing file, 0 when all agree.
        var differing = [Double](repeating: 0, count: communicator.worldSize)
        differing[communicator.rank] = firstDifference(mine, root).map { Double($0 + 1) } ?? 0
        differing = try communicator.allReduceSum(differing)
        let ranks = differing.indices.filter { differing[$0] > 0 }
        guard let first = ranks.first else { return }
        let index = Int(differing[first]) - 1
        let file = index < root.count ? root[index].path : "a file rank 0 does not have"
        throw DistributedError("rank\(ranks.count > 1 ? "s" : "") \(ranks.map(String.init).joined(separator: ", ")) read different inputs than rank 0: \(file) differs (size or SHA-256); every process must read the same model and data files")
    }

    /// The index of the first file whose bytes differ (paths may differ between machines).
    static func firstDifference(_ mine: [FileDigest], _ root: [FileDigest]) -> Int? {
        for i in 0..<max(mine.count, root.count)
        where i >= mine.count || i >= root.count || mine[i].size != root[i].size || mine[i].sha256 != root[i].sha256 {
            return i
        }
        return nil
    }

    static func files(under inputs: [URL]) throws -> [URL] {
        var result: [URL] = []
        for url in inputs {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) else {
                throw DistributedError("\(url.path) does not exist")
            }
            guard isFolder.boolValue else { result.append(url); continue }
            let walker = FileManager.default.enumerator(at: url, includingPropertiesForKeys: [.isRegularFileKey])
            var found: [URL] = []
            while let f = walker?.nextObject() as? URL {
                if (try? f.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true { found.append(f) }
            }
            result += found.sorted { $0.path < $1.path }
        }
        return result
    }
}
