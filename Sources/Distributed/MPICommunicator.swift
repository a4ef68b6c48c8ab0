import MPIShim

/// MPI_COMM_WORLD of an `mpirun` launch (Open MPI). Errors are fatal to the whole job (Open
/// MPI's default handler, set explicitly): a process that dies makes `mpirun` end the others
/// and name the rank that died.
public final class MPICommunicator: Communicator {
    public let rank: Int
    public let worldSize: Int

    /// MPI_Init; call once per process (`World.communicator` does).
    init() throws {
        guard lorasb_mpi_compiled() == 1 else {
            throw DistributedError("this lorasb was built without Open MPI (libopenmpi-dev); rebuild it with the library installed to run under mpirun")
        }
        try MPICommunicator.check(lorasb_mpi_init(), "MPI_Init")
        var r: Int32 = 0, n: Int32 = 0
        try MPICommunicator.check(lorasb_mpi_rank(&r), "MPI_Comm_rank")
        try MPICommunicator.check(lorasb_mpi_size(&n), "MPI_Comm_size")
        rank = Int(r)
        worldSize = Int(n)
    }

    public func allReduceSum(_ values: UnsafeMutableBufferPointer<Float>) throws {
        guard let base = values.baseAddress, !values.isEmpty else { return }
        try Self.check(lorasb_mpi_allreduce_sum_float(base, values.count), "MPI_Allreduce of \(values.count) floats")
    }

    public func allReduceSum(_ values: UnsafeMutableBufferPointer<Double>) throws {
        guard let base = values.baseAddress, !values.isEmpty else { return }
        try Self.check(lorasb_mpi_allreduce_sum_double(base, values.count), "MPI_Allreduce of \(values.count) doubles")
    }

    public func broadcast(_ bytes: UnsafeMutableRawBufferPointer, from root: Int) throws {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        try Self.check(lorasb_mpi_broadcast(base, bytes.count, Int32(root)), "MPI_Bcast of \(bytes.count) bytes")
    }

    public func allGather(_ bytes: [UInt8]) throws -> [[UInt8]] {
        // MPI_Allgatherv needs every rank's count first: slot r of a sum holds rank r's.
        var counts = [Double](repeating: 0, count: worldSize)
        counts[rank] = Double(bytes.count)
        counts = try allReduceSum(counts)
        let sizes = counts.map { Int($0) }
        let total = sizes.reduce(0, +)
        guard total <= Int(Int32.max) else {
            throw DistributedError("an all-gather of \(total) bytes is larger than MPI's int count allows")
        }
        var offsets = [Int32](repeating: 0, count: worldSize)
        for r in 1..<max(worldSize, 1) { offsets[r] = offsets[r - 1] + Int32(sizes[r - 1]) }
        var gathered = [UInt8](repeating: 0, count: max(total, 1))
        let counts32 = sizes.map { Int32($0) }
        try bytes.withUnsafeBytes { mine in
            try gathered.withUnsafeMutableBytes { all in
                try Self.check(lorasb_mpi_allgather_bytes(mine.baseAddress, Int32(bytes.count), all.baseAddress, counts32, offsets),
                               "MPI_Allgatherv of \(total) bytes")
            }
        }
        return (0..<worldSize).map { r in Array(gathered[Int(offsets[r]) ..< Int(offsets[r]) + sizes[r]]) }
    }

    public func barrier() throws {
        try Self.check(lorasb_mpi_barrier(), "MPI_Barrier")
    }

    public func abort(code: Int32) -> Never {
        lorasb_mpi_abort(code)
        fatalError("MPI_Abort returned")
    }

    static func check(_ code: Int32, _ call: String) throws {
        guard code != 0 else { return }
        var text = [CChar](repeating: 0, count: 256)
        lorasb_mpi_error_string(code, &text, text.count)
        throw DistributedError("\(call) failed: \(String(cString: text))")
    }
}
