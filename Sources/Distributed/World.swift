import Foundation

/// The processes this one was launched with: Open MPI's `mpirun` sets OMPI_COMM_WORLD_SIZE in
/// every process it starts, so `mpirun -np N lorasb train …` needs no flag; anything else is a
/// world of one process (and never initialises MPI).
public enum World {
    /// The process count `mpirun` announced, nil when not launched by it.
    public static func launchedSize(environment: [String: String] = ProcessInfo.processInfo.environment) -> Int? {
        environment["OMPI_COMM_WORLD_SIZE"].flatMap(Int.init)
    }

    /// The process-wide communicator, made on first use.
    public static func communicator() throws -> any Communicator {
        try shared.get()
    }

    private static let shared = Once()

    private final class Once: @unchecked Sendable {
        private let lock = NSLock()
        private var made: (any Communicator)?

        func get() throws -> any Communicator {
            lock.lock(); defer { lock.unlock() }
            if let made { return made }
            let c: any Communicator = World.launchedSize() != nil ? try MPICommunicator() : SingleProcess()
            made = c
            return c
        }
    }
}
