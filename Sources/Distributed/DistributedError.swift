/// A data-parallel run cannot go on: an MPI call failed, or the processes disagree.
public struct DistributedError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
