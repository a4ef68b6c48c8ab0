import Distributed
import Foundation
import Tensor
import XCTest

/// A process of a pretend world in which every process holds the same values: a sum over the
/// world is the values times its size, an all-gather this process's bytes from every rank.
/// Records the size of every all-reduce.
private final class UniformWorld: Communicator, @unchecked Sendable {
    let rank: Int
    let worldSize: Int
    var calls: [Int] = []
    init(rank: Int, worldSize: Int) { self.rank = rank; self.worldSize = worldSize }
    func allReduceSum(_ values: UnsafeMutableBufferPointer<Float>) throws {
        calls.append(values.count)
        for i in values.indices { values[i] *= Float(worldSize) }
    }
    func allReduceSum(_ values: UnsafeMutableBufferPointer<Double>) throws {
        calls.append(values.count)
        for i in values.indices { values[i] *= Double(worldSize) }
    }
    func broadcast(_ bytes: UnsafeMutableRawBufferPointer, from root: Int) throws {}
    func allGather(_ bytes: [UInt8]) throws -> [[UInt8]] { Array(repeating: bytes, count: worldSize) }
    func barrier() throws {}
    func abort(code: Int32) -> Never { fatalError("abort \(code)") }
}

final class CommunicatorTests: XCTestCase {
    func testSharesCoverEveryItemOnceInOrder() {
        for size in 1...5 {
            for count in 0...11 {
                let shares = (0..<size).map { UniformWorld(rank: $0, worldSize: size).share(of: count) }
                XCTAssertEqual(shares.flatMap { Array($0) }, Array(0..<count), "\(count) items on \(size) ranks")
                XCTAssertLessThanOrEqual(shares.map(\.count).max()! - shares.map(\.count).min()!, 1)
            }
        }
    }

    func testUnitsGoRoundRobinAndComeBackInUnitOrder() throws {
        for size in 1...4 {
            for count in 0...9 {
                let units = (0..<size).flatMap { Array(UniformWorld(rank: $0, worldSize: size).units(of: count)) }
                XCTAssertEqual(units.sorted(), Array(0..<count), "\(count) units on \(size) ranks")
            }
        }
        // Every rank of this world sends rank 0's results (units 0, 2, 4): unit u is taken
        // from rank u mod 2's list at u / 2.
        let world = UniformWorld(rank: 0, worldSize: 2)
        XCTAssertEqual(try world.map(units: 5) { "unit \($0)" }, ["unit 0", "unit 0", "unit 2", "unit 2", "unit 4"])
        XCTAssertEqual(try world.rootValue { [1.5, -.infinity] }, [1.5, -.infinity])
        // Rank 1 of 2 runs one of three units; rank 0's list (its copy) lacks unit 2.
        XCTAssertThrowsError(try UniformWorld(rank: 1, worldSize: 2).map(units: 3) { $0 })
        XCTAssertEqual(try SingleProcess().map(units: 3) { $0 * 10 }, [0, 10, 20])
        XCTAssertEqual(try SingleProcess().allGather([1, 2]), [[1, 2]])
        XCTAssertTrue(try world.any(true))
    }

    func testBucketsPackTensorsAndWriteTheSumsBack() throws {
        let world = UniformWorld(rank: 1, worldSize: 3)
        let sizes = [5, 1, 12, 3]
        let tensors = sizes.enumerated().map { i, n in Tensor(shape: [n], values: (0..<n).map { Float(100 * i + $0) }) }
        var reduce = BucketedAllReduce(world, bucketElements: 8)
        let bytes = try reduce.sum(tensors)
        XCTAssertEqual(bytes, 21 * 4)
        XCTAssertEqual(world.calls, [8, 8, 5], "21 floats in buckets of 8, tensors split across buckets")
        for (i, t) in tensors.enumerated() {
            XCTAssertEqual(Array(t.buffer), (0..<sizes[i]).map { 3 * Float(100 * i + $0) })
        }
    }

    func testOneProcessLeavesEverythingAsItIs() throws {
        let t = Tensor(shape: [3], values: [1, 2, 3])
        var reduce = BucketedAllReduce(SingleProcess())
        XCTAssertEqual(try reduce.sum([t]), 0)
        XCTAssertEqual(Array(t.buffer), [1, 2, 3])
        XCTAssertEqual(try SingleProcess().allReduceSum([1.5, 2]), [1.5, 2])
        XCTAssertEqual(SingleProcess().share(of: 7), 0..<7)
        XCTAssertNoThrow(try InputAgreement.check([URL(fileURLWithPath: "/nonexistent")], on: SingleProcess()))
    }

    func testLaunchIsDetectedFromOpenMPIsEnvironment() {
        XCTAssertEqual(World.launchedSize(environment: ["OMPI_COMM_WORLD_SIZE": "4"]), 4)
        XCTAssertNil(World.launchedSize(environment: [:]))
    }

    func testDigestsNameEveryFileOfAFolderInOrder() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("digests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("sub"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data("abc".utf8).write(to: folder.appendingPathComponent("b.txt"))
        try Data().write(to: folder.appendingPathComponent("sub/a.txt"))
        let digests = try InputAgreement.digests(of: [folder])
        XCTAssertEqual(digests.map { URL(fileURLWithPath: $0.path).lastPathComponent }, ["b.txt", "a.txt"])
        XCTAssertEqual(digests.map(\.size), [3, 0])
        XCTAssertEqual(digests[0].sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertThrowsError(try InputAgreement.digests(of: [folder.appendingPathComponent("missing")]))
    }
}
