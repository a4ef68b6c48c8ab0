import Foundation

/// Work split across the processes of a run and put back together on every process, so a
/// distributed evaluation returns exactly what one process computes: each unit (a batch, a
/// batch of problems) runs on one process, as a whole and unchanged, and its result takes the
/// same place in the output. Results travel as JSON (floats round-trip exactly).
extension Communicator {
    /// The units of `0 ..< count` this process runs: every `worldSize`-th from its rank.
    /// Round-robin keeps the shares even when units are ordered by cost (sets of problems
    /// that differ in length follow each other).
    public func units(of count: Int) -> StrideTo<Int> {
        stride(from: rank, to: count, by: worldSize)
    }

    /// `work(u)` for every unit `u` of `0 ..< count`, in unit order, on every process; each
    /// process runs only its `units(of:)`. Every process must call this with the same `count`.
    public func map<T: Codable>(units count: Int, _ work: (Int) throws -> T) throws -> [T] {
        guard isDistributed else { return try (0..<count).map(work) }
        let mine = try units(of: count).map(work)
        let gathered = try allGather([UInt8](try SplitWork.encoder.encode(mine)))
            .map { try SplitWork.decoder.decode([T].self, from: Data($0)) }
        return try (0..<count).map { u in
            let (owner, index) = (u % worldSize, u / worldSize)
            guard index < gathered[owner].count else {
                throw DistributedError("rank \(owner) returned \(gathered[owner].count) results, unit \(u) is missing")
            }
            return gathered[owner][index]
        }
    }

    /// Rank 0's `make()` on every process; only rank 0 calls `make` (decisions that read files
    /// only rank 0 may see, such as which runs are finished).
    public func rootValue<T: Codable>(_ make: () throws -> T) throws -> T {
        guard isDistributed else { return try make() }
        let bytes = isRoot ? [UInt8](try SplitWork.encoder.encode([try make()])) : []
        let root = try allGather(bytes)[0]
        guard let value = try SplitWork.decoder.decode([T].self, from: Data(root)).first else {
            throw DistributedError("rank 0 sent no value")
        }
        return value
    }

    /// Whether `flag` is true on any process (an interrupt seen by one stops all alike).
    public func any(_ flag: Bool) throws -> Bool {
        guard isDistributed else { return flag }
        return try allReduceSum([flag ? 1 : 0])[0] > 0
    }
}

enum SplitWork {
    /// Non-finite floats (a diverged loss) are spelled out; JSON has no number for them.
    static var encoder: JSONEncoder {
        let e = JSONEncoder()
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return e
    }
    static var decoder: JSONDecoder {
        let d = JSONDecoder()
        d.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return d
    }
}
