/// The processes of a data-parallel run and the collectives they train with. Every process
/// calls each collective in the same order with buffers of the same size; a world of one
/// process (`SingleProcess`) leaves every buffer as it is.
public protocol Communicator: AnyObject, Sendable {
    /// This process's index, 0 ..< worldSize; rank 0 writes the run's files.
    var rank: Int { get }
    var worldSize: Int { get }
    /// Replaces `values` on every process by their sum over all processes.
    func allReduceSum(_ values: UnsafeMutableBufferPointer<Float>) throws
    func allReduceSum(_ values: UnsafeMutableBufferPointer<Double>) throws
    /// Replaces `bytes` on every process by rank `root`'s.
    func broadcast(_ bytes: UnsafeMutableRawBufferPointer, from root: Int) throws
    /// Every process's `bytes` (of any length), indexed by rank, on every process.
    func allGather(_ bytes: [UInt8]) throws -> [[UInt8]]
    func barrier() throws
    /// Ends every process of the run with `code` (a process that stops alone would leave the
    /// others waiting in their next collective).
    func abort(code: Int32) -> Never
}

extension Communicator {
    public var isRoot: Bool { rank == 0 }
    public var isDistributed: Bool { worldSize > 1 }

    /// The sums over all processes of `values`.
    public func allReduceSum(_ values: [Double]) throws -> [Double] {
        var v = values
        try v.withUnsafeMutableBufferPointer { try allReduceSum($0) }
        return v
    }

    /// This process's contiguous share of `count` items: the first `count % worldSize` ranks
    /// take one more, so the shares of all ranks are the items in order.
    public func share(of count: Int) -> Range<Int> {
        let base = count / worldSize, extra = count % worldSize
        let start = rank * base + min(rank, extra)
        return start ..< start + base + (rank < extra ? 1 : 0)
    }
}
