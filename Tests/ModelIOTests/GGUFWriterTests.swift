import Foundation
import XCTest
import ModelIO
import Tensor
import TestSupport

/// `GGUFWriter` read back through our own `GGUFFile`: every metadata value type, the alignment,
/// a tensor of every type we encode, and the failures that must leave no file behind.
final class GGUFWriterTests: XCTestCase {
    static let metadata: [(String, GGUFValue)] = [
        ("general.architecture", .string("llama")),
        ("general.alignment", .uint32(64)),
        ("test.u8", .uint8(250)), ("test.i8", .int8(-100)),
        ("test.u16", .uint16(65000)), ("test.i16", .int16(-30000)),
        ("test.u32", .uint32(4_000_000_000)), ("test.i32", .int32(-2_000_000_000)),
        ("test.u64", .uint64(1 << 60)), ("test.i64", .int64(-(1 << 60))),
        ("test.f32", .float32(-1.25e-7)), ("test.f64", .float64(3.141592653589793)),
        ("test.bool", .bool(true)), ("test.string", .string("héllo {{ chat }}\n")),
        ("test.empty_string", .string("")),
        ("test.strings", .array(.string(["a", "", "ü", "<|im_start|>"]))),
        ("test.floats", .array(.float32([0.5, -0, .greatestFiniteMagnitude]))),
        ("test.i32s", .array(.int32([1, -2, 3]))),
        ("test.u8s", .array(.uint8([0, 255]))), ("test.i64s", .array(.int64([-1]))),
        ("test.bools", .array(.bool([true, false]))), ("test.f64s", .array(.float64([1e300]))),
        ("test.nested", .array(.array([.string(["x", "y"]), .uint16([7]), .array([.bool([false])])]))),
        ("test.empty", .array(.uint32([]))),
    ]

    func testEveryValueTypeAndTensorTypeRoundTrips() throws {
        let folder = try temporaryFolder(self)
        let url = folder.appendingPathComponent("all.gguf")
        var writer = GGUFWriter()
        for (k, v) in Self.metadata { writer.set(k, v) }
        let values = (0 ..< 3 * 64).map { Float(cos(Double($0) * 0.21)) * 0.7 }
        for type in GGMLEncoder.supportedTypes {
            writer.add(.encoding(name: "t.\(type)", Tensor(shape: [3, 64], values: values), as: type))
        }
        writer.add(.encoding(name: "vector", Tensor(shape: [5], values: [1, 2, 3, 4, 5]), as: .f32))
        try writer.write(to: url)

        let file = try GGUFFile(url: url)
        XCTAssertEqual(file.version, 3)
        XCTAssertEqual(file.metadataKeys, Self.metadata.map(\.0))
        for (k, v) in Self.metadata { XCTAssertEqual(file.metadata[k], v, k) }
        XCTAssertEqual(file.alignment, 64)
        XCTAssertEqual(file.dataOffset % 64, 0)
        XCTAssertEqual(file.tensorInfos.map(\.name), GGMLEncoder.supportedTypes.map { "t.\($0)" } + ["vector"])
        for info in file.tensorInfos {
            XCTAssertEqual(info.relativeOffset % 64, 0, info.name)
        }
        for type in GGMLEncoder.supportedTypes {
            let info = try file.info(named: "t.\(type)")
            XCTAssertEqual(info.dimensions, [64, 3])
            XCTAssertEqual(info.type, type)
            let raw = try file.withRawBytes(named: info.name) { Array($0) }
            XCTAssertEqual(raw, try GGMLEncoder.encode(values, as: type, name: info.name), "\(type)")
        }
        XCTAssertEqual(try file.tensor(named: "t.F32").array, values)
        XCTAssertEqual(try file.tensor(named: "vector").array, [1, 2, 3, 4, 5])
        XCTAssertEqual(file.fileSize, file.tensorInfos.last.map { $0.byteRange.lowerBound + 64 } ?? 0,
                       "the last tensor is padded to the alignment")
    }

    /// Default alignment 32; a copied tensor keeps its bytes.
    func testDefaultAlignmentAndCopiedTensors() throws {
        let folder = try temporaryFolder(self)
        let first = folder.appendingPathComponent("a.gguf"), second = folder.appendingPathComponent("b.gguf")
        var writer = GGUFWriter()
        writer.add(.encoding(name: "w", Tensor(shape: [2, 32], values: (0 ..< 64).map(Float.init)), as: .q4_1))
        writer.add(.encoding(name: "odd", Tensor(shape: [3], values: [1, 2, 3]), as: .f32))
        try writer.write(to: first)
        let a = try GGUFFile(url: first)
        XCTAssertEqual(a.alignment, 32)
        var copy = GGUFWriter()
        for info in a.tensorInfos { copy.add(try .copying(info.name, of: a)) }
        try copy.write(to: second)
        let b = try GGUFFile(url: second)
        for info in a.tensorInfos {
            XCTAssertEqual(try a.withRawBytes(named: info.name) { Array($0) }, try b.withRawBytes(named: info.name) { Array($0) })
            XCTAssertEqual(try b.info(named: info.name).relativeOffset % 32, 0)
        }
    }

    func testFailuresNameTheTensorAndLeaveNoFile() throws {
        let folder = try temporaryFolder(self)
        let url = folder.appendingPathComponent("bad.gguf")
        var short = GGUFWriter()
        short.add(GGUFTensorPlan(name: "blk.0.attn_q.weight", dimensions: [32, 2], type: .f32) { try $0.write([1, 2, 3]) })
        XCTAssertThrowsError(try short.write(to: url)) { XCTAssertTrue("\($0)".contains("blk.0.attn_q.weight"), "\($0)") }
        var nonFinite = GGUFWriter()
        nonFinite.add(.encoding(name: "blk.1.ffn_up.weight", Tensor(shape: [1, 32], repeating: .nan), as: .f16))
        XCTAssertThrowsError(try nonFinite.write(to: url)) { XCTAssertTrue("\($0)".contains("blk.1.ffn_up.weight"), "\($0)") }
        var alignment = GGUFWriter()
        alignment.set("general.alignment", .uint64(64))
        XCTAssertThrowsError(try alignment.write(to: url)) { XCTAssertTrue("\($0)".contains("general.alignment"), "\($0)") }
        var rows = GGUFWriter()
        rows.add(.encoding(name: "narrow", Tensor(shape: [2, 8], repeating: 1), as: .q8_0))
        XCTAssertThrowsError(try rows.write(to: url)) { XCTAssertTrue("\($0)".contains("narrow"), "\($0)") }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), [], "no file or temporary left")
    }
}
