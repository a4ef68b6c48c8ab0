import Foundation
import XCTest
import ModelIO
import TestSupport

/// Malformed and hostile files: each must give a `ModelIOError` naming the file and the
/// problem, without trapping, hanging or allocating memory in proportion to a claimed size.
final class HostileFileTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = try temporaryFolder(self)
    }

    func write(_ bytes: [UInt8], _ name: String) throws -> URL {
        let url = folder.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url
    }

    /// Asserts `body` throws a `ModelIOError` for `url` whose message contains `expected`.
    func assertFails<T>(_ url: URL, _ expected: String, file: StaticString = #filePath, line: UInt = #line,
                        _ body: () throws -> T) {
        do {
            _ = try body()
            XCTFail("\(url.lastPathComponent): expected an error containing \"\(expected)\"", file: file, line: line)
        } catch let error as ModelIOError {
            XCTAssertEqual(error.path, url.path, "\(error)", file: file, line: line)
            XCTAssertTrue(error.description.hasPrefix(url.path + ": "), "\(error)", file: file, line: line)
            XCTAssertTrue(error.problem.contains(expected), "expected \"\(expected)\" in: \(error)", file: file, line: line)
        } catch {
            XCTFail("unexpected error type: \(error)", file: file, line: line)
        }
    }

    // MARK: safetensors

    func testSafeTensorsMalformedHeaders() throws {
        let okEntry = #""a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}"#
        let cases: [(String, [UInt8], String)] = [
            ("empty", [], "truncated"),
            ("short", [1, 2, 3], "truncated"),
            ("length-past-end", SafeTensorsBytes.file(header: "{}", dataBytes: 0, declaredLength: 1000), "runs past the end"),
            ("length-huge", SafeTensorsBytes.file(header: "{}", dataBytes: 0, declaredLength: UInt64.max), "runs past the end"),
            ("length-tiny", SafeTensorsBytes.file(header: "{", dataBytes: 0), "too small"),
            ("not-json", SafeTensorsBytes.file(header: "{not json at all}", dataBytes: 8), "header is not valid"),
            ("json-array", SafeTensorsBytes.file(header: "[1,2,3]", dataBytes: 8), "JSON object"),
            ("json-deep", SafeTensorsBytes.file(header: String(repeating: "[", count: 100_000), dataBytes: 8), "header is not valid"),
            ("json-deep-object", SafeTensorsBytes.file(header: String(repeating: #"{"a":"#, count: 50_000), dataBytes: 8), "header is not valid"),
            ("entry-not-object", SafeTensorsBytes.file(header: #"{"a":5}"#, dataBytes: 8), "should be an object"),
            ("missing-dtype", SafeTensorsBytes.file(header: #"{"a":{"shape":[2],"data_offsets":[0,8]}}"#, dataBytes: 8), "\"a.dtype\" is missing"),
            ("unknown-dtype", SafeTensorsBytes.file(header: #"{"a":{"dtype":"F12","shape":[2],"data_offsets":[0,8]}}"#, dataBytes: 8), "unknown dtype \"F12\""),
            ("shape-not-ints", SafeTensorsBytes.file(header: #"{"a":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}}"#, dataBytes: 8), "should be a whole number"),
            ("negative-dim", SafeTensorsBytes.file(header: #"{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}"#, dataBytes: 8), "negative dimension"),
            ("shape-overflow", SafeTensorsBytes.file(header: #"{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}}"#, dataBytes: 8), "overflows"),
            ("shape-overflow-with-zero", SafeTensorsBytes.file(header: #"{"a":{"dtype":"F32","shape":[0,4294967296,4294967296],"data_offsets":[0,0]}}"#, dataBytes: 8), "overflows"),
            ("bytes-overflow", SafeTensorsBytes.file(header: #"{"a":{"dtype":"F64","shape":[2305843009213693952],"data_offsets":[0,8]}}"#, dataBytes: 8), "too large"),
            ("shape-vs-bytes", SafeTensorsBytes.file(header: #"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, dataBytes: 8), "needs 12 bytes but data_offsets span 8"),
            ("offsets-past-end", SafeTensorsBytes.file(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}"#, dataBytes: 8), "run past the end"),
            ("offsets-huge", SafeTensorsBytes.file(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[9223372036854775800,9223372036854775807]}}"#, dataBytes: 8), "run past the end"),
            ("offsets-reversed", SafeTensorsBytes.file(header: #"{"a":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}}"#, dataBytes: 8), "invalid data_offsets"),
            ("offsets-negative", SafeTensorsBytes.file(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[-8,0]}}"#, dataBytes: 8), "invalid data_offsets"),
            ("offsets-three", SafeTensorsBytes.file(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4,8]}}"#, dataBytes: 8), "should hold 2 numbers"),
            ("overlap", SafeTensorsBytes.file(header: "{" + okEntry + #","b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#, dataBytes: 12), "overlap"),
            ("metadata-not-string", SafeTensorsBytes.file(header: #"{"__metadata__":{"k":1},"# + okEntry + "}", dataBytes: 8), "is not a string"),
        ]
        for (name, bytes, expected) in cases {
            let url = try write(bytes, "\(name).safetensors")
            assertFails(url, expected) { try SafeTensorsFile(url: url) }
        }
    }

    func testSafeTensorsTruncatedAtEveryLength() throws {
        let source = try Data(contentsOf: ModelIOFixture.url("synthetic.safetensors"))
        XCTAssertLessThan(source.count, 2000)
        let url = folder.appendingPathComponent("cut.safetensors")
        for length in 0 ..< source.count {
            XCTAssertThrowsError(try SafeTensorsFile(data: source.prefix(length), url: url), "prefix \(length)") { error in
                XCTAssertTrue(error is ModelIOError && "\(error)".contains("cut.safetensors"), "\(error)")
            }
        }
    }

    func testSafeTensorsWrongTypeRequests() throws {
        let url = ModelIOFixture.url("synthetic.safetensors")
        let file = try SafeTensorsFile(url: url)
        assertFails(url, "not a floating-point type") { try file.tensor(named: "ids.i64") }
        assertFails(url, "not an integer type") { try file.integers(named: "weight.f32") }
        assertFails(url, "no tensor named \"nope\"") { try file.tensor(named: "nope") }
    }

    // MARK: GGUF

    func testGGUFWellFormedBaseOpens() throws {
        // The base the malformed cases below start from is itself valid.
        let url = try write(GGUFBytes.valid().bytes, "valid.gguf")
        let file = try GGUFFile(url: url)
        XCTAssertEqual(try file.tensor(named: "w").array, [Float](repeating: 0, count: 8))
        // Version 2 has the same layout as version 3.
        var v2 = GGUFBytes.valid()
        v2.bytes[4] = 2
        let v2URL = try write(v2.bytes, "v2.gguf")
        XCTAssertEqual(try GGUFFile(url: v2URL).version, 2)
    }

    func testGGUFMalformedHeaders() throws {
        var cases: [(String, [UInt8], String)] = []
        func add(_ name: String, _ expected: String, _ build: (inout GGUFBytes) -> Void) {
            var g = GGUFBytes()
            build(&g)
            cases.append((name, g.bytes, expected))
        }
        add("magic", "not a GGUF file") { $0.bytes = Array("GGML".utf8) + [3, 0, 0, 0] }
        add("version1", "unsupported GGUF version 1") { $0.header(version: 1, tensors: 0, kvs: 0) }
        add("version4", "unsupported GGUF version 4") { $0.header(version: 4, tensors: 0, kvs: 0) }
        add("big-endian", "big-endian") { $0.header(version: UInt32(3).byteSwapped, tensors: 0, kvs: 0) }
        add("no-counts", "truncated") { $0.bytes = Array("GGUF".utf8) + [3, 0, 0, 0, 1] }
        add("kv-count-absurd", "metadata count") { $0.header(tensors: 0, kvs: UInt64.max) }
        add("tensor-count-absurd", "tensor count") { $0.header(tensors: 1 << 60, kvs: 0) }
        add("key-length-absurd", "claims") { g in
            g.header(tensors: 0, kvs: 1); g.u64(1 << 62); g.data(20)
        }
        add("string-length-absurd", "claims") { g in
            g.header(tensors: 0, kvs: 1); g.string("k"); g.u32(8); g.u64(UInt64.max); g.data(20)
        }
        add("array-length-absurd", "claims") { g in
            g.header(tensors: 0, kvs: 1); g.string("k"); g.u32(9); g.u32(4); g.u64(1 << 61); g.data(20)
        }
        add("string-array-length-absurd", "claims") { g in
            g.header(tensors: 0, kvs: 1); g.string("k"); g.u32(9); g.u32(8); g.u64(1 << 40); g.data(64)
        }
        add("array-elements-past-end", "claims 4 array elements") { g in
            g.header(tensors: 0, kvs: 1); g.string("k"); g.u32(9); g.u32(10); g.u64(4); g.data(24)
        }
        add("array-string-past-end", "element 1 of \"k\" claims 9 bytes") { g in
            g.header(tensors: 0, kvs: 1); g.string("k"); g.u32(9); g.u32(8); g.u64(2); g.string("ab"); g.u64(9); g.data(8)
        }
        add("value-type-unknown", "unknown value type 13") { g in
            g.header(tensors: 0, kvs: 1); g.string("k"); g.u32(13); g.data(16)
        }
        add("array-type-unknown", "array of unknown type 77") { g in
            g.header(tensors: 0, kvs: 1); g.string("k"); g.u32(9); g.u32(77); g.u64(1); g.data(16)
        }
        add("array-nesting", "nests arrays deeper") { g in
            g.header(tensors: 0, kvs: 1); g.string("k"); g.u32(9)
            for _ in 0 ..< 100 { g.u32(9); g.u64(1) }
            g.u32(4); g.u64(0)
        }
        add("duplicate-key", "appears twice") { g in
            g.header(tensors: 0, kvs: 2); g.kvU32("k", 1); g.kvU32("k", 2)
        }
        add("alignment-zero", "power of two") { g in
            g.header(tensors: 0, kvs: 1); g.kvU32("general.alignment", 0)
        }
        add("alignment-odd", "power of two") { g in
            g.header(tensors: 0, kvs: 1); g.kvU32("general.alignment", 24)
        }
        add("rank-zero", "rank 0") { g in
            g.header(tensors: 1, kvs: 0); g.string("w"); g.u32(0); g.u32(0); g.u64(0); g.data(32)
        }
        add("rank-huge", "rank 4000000000") { g in
            g.header(tensors: 1, kvs: 0); g.string("w"); g.u32(4_000_000_000); g.data(64)
        }
        add("dims-overflow", "overflow") { g in
            g.header(tensors: 1, kvs: 0); g.tensorInfo("w", dims: [1 << 32, 1 << 32], type: 0, offset: 0); g.pad(); g.data(32)
        }
        add("dims-overflow-after-zero", "overflow") { g in
            g.header(tensors: 1, kvs: 0); g.tensorInfo("w", dims: [0, 1 << 32, 1 << 32], type: 0, offset: 0); g.pad(); g.data(32)
        }
        add("dim-too-large", "too large") { g in
            g.header(tensors: 1, kvs: 0); g.tensorInfo("w", dims: [UInt64.max], type: 0, offset: 0); g.pad(); g.data(32)
        }
        add("bytes-overflow", "too large") { g in
            g.header(tensors: 1, kvs: 0); g.tensorInfo("w", dims: [1 << 62], type: 0, offset: 0); g.pad(); g.data(32)
        }
        add("unknown-type", "unknown ggml type 99") { g in
            g.header(tensors: 1, kvs: 0); g.tensorInfo("w", dims: [32], type: 99, offset: 0); g.pad(); g.data(128)
        }
        add("row-not-blocks", "not a multiple of its block size 32") { g in
            g.header(tensors: 1, kvs: 0); g.tensorInfo("w", dims: [30], type: 2, offset: 0); g.pad(); g.data(128)
        }
        add("offset-past-end", "runs past the end") { g in
            g.header(tensors: 1, kvs: 0); g.tensorInfo("w", dims: [8], type: 0, offset: 64); g.pad(); g.data(32)
        }
        add("offset-huge", "runs past the end") { g in
            g.header(tensors: 1, kvs: 0); g.tensorInfo("w", dims: [8], type: 0, offset: UInt64(Int.max) - 31); g.pad(); g.data(32)
        }
        add("offset-unaligned", "not a multiple of the alignment") { g in
            g.header(tensors: 1, kvs: 0); g.tensorInfo("w", dims: [8], type: 0, offset: 4); g.pad(); g.data(64)
        }
        add("data-truncated", "runs past the end") { g in
            g.header(tensors: 1, kvs: 0); g.tensorInfo("w", dims: [64], type: 0, offset: 0); g.pad(); g.data(100)
        }
        add("overlap", "overlap") { g in
            g.header(tensors: 2, kvs: 0)
            g.tensorInfo("a", dims: [16], type: 0, offset: 0)
            g.tensorInfo("b", dims: [16], type: 0, offset: 32)
            g.pad(); g.data(128)
        }
        add("duplicate-tensor", "appears twice") { g in
            g.header(tensors: 2, kvs: 0)
            g.tensorInfo("a", dims: [8], type: 0, offset: 0)
            g.tensorInfo("a", dims: [8], type: 0, offset: 32)
            g.pad(); g.data(64)
        }
        for (name, bytes, expected) in cases {
            let url = try write(bytes, "\(name).gguf")
            assertFails(url, expected) { try GGUFFile(url: url) }
        }
    }

    func testGGUFUnsupportedQuantisationOpensButCannotDequantise() throws {
        var g = GGUFBytes()
        g.header(tensors: 1, kvs: 0)
        g.tensorInfo("w", dims: [256], type: GGMLType.iq2_xxs.rawValue, offset: 0)
        g.pad()
        g.data(GGMLType.iq2_xxs.blockBytes)
        let url = try write(g.bytes, "iq2.gguf")
        let file = try GGUFFile(url: url)
        XCTAssertEqual(try file.info(named: "w").type, .iq2_xxs)
        assertFails(url, "tensor \"w\" has type IQ2_XXS, which cannot be converted") { try file.tensor(named: "w") }
        assertFails(url, "has type IQ2_XXS") { try file.quantizedMatrix(named: "w") }
        assertFails(url, "no tensor named") { try file.tensor(named: "v") }
    }

    /// A file with one two-row tensor `w` of `type` (every block's bytes `fill`), with the f16
    /// at byte `offset` of block `block` replaced by `halfBits`.
    func quantisedFile(_ type: GGMLType, rowLength: Int, halfBits: UInt16, block: Int, offset: Int,
                       _ name: String) throws -> URL {
        var g = GGUFBytes()
        g.header(tensors: 1, kvs: 0)
        g.tensorInfo("w", dims: [UInt64(rowLength), 2], type: type.rawValue, offset: 0)
        g.pad()
        let start = g.bytes.count
        g.data(2 * rowLength / type.blockSize * type.blockBytes, 0x11)
        let at = start + block * type.blockBytes + offset
        g.bytes[at] = UInt8(halfBits & 0xff)
        g.bytes[at + 1] = UInt8(halfBits >> 8)
        return try write(g.bytes, name)
    }

    /// A NaN or infinite block scale is refused, naming the tensor and block, when the tensor is
    /// first read or validated; finite ones read.
    func testGGUFNonFiniteBlockScalesAreRefused() throws {
        let cases: [(GGMLType, Int, UInt16, Int)] = [  // type, row length, bits, scale offset
            (.q4_K, 256, 0x7e00, 0), (.q4_K, 256, 0x7c00, 2), (.q6_K, 256, 0xfc00, 208),
            (.q5_0, 64, 0x7c01, 0), (.q5_1, 32, 0xfe00, 2), (.q2_K, 256, 0x7c00, 82),
            (.q3_K, 256, 0x7e00, 108), (.q5_K, 512, 0xfc00, 0), (.q8_0, 32, 0x7c00, 0),
        ]
        for (type, rowLength, bitsValue, offset) in cases {
            let blocks = 2 * rowLength / type.blockSize
            let url = try quantisedFile(type, rowLength: rowLength, halfBits: bitsValue, block: blocks - 1,
                                        offset: offset, "nan-\(type).gguf")
            let file = try GGUFFile(url: url)
            let expected = "tensor \"w\" (\(type)) has a NaN or infinite scale in block \(blocks - 1)"
            assertFails(url, expected) { try file.tensor(named: "w") }
            assertFails(url, expected) { try file.validateTensor(named: "w") }
            assertFails(url, expected) { try file.quantizedMatrix(named: "w") }
            let fine = try quantisedFile(type, rowLength: rowLength, halfBits: 0x7bff, block: blocks - 1,
                                         offset: offset, "finite-\(type).gguf")
            let values = try GGUFFile(url: fine).tensor(named: "w")
            XCTAssertTrue(values.array.allSatisfy(\.isFinite), "\(type)")
        }
    }

    func testGGUFQuantisedRowWidthAndTruncationAreRefused() throws {
        for (type, badRow) in [(GGMLType.q4_K, 128), (.q6_K, 300), (.q5_0, 48), (.q3_K, 32)] {
            var g = GGUFBytes()
            g.header(tensors: 1, kvs: 0)
            g.tensorInfo("blk.0.w", dims: [UInt64(badRow), 4], type: type.rawValue, offset: 0)
            g.pad(); g.data(4096)
            let url = try write(g.bytes, "row-\(type).gguf")
            assertFails(url, "tensor \"blk.0.w\" of type \(type) has row length \(badRow), not a multiple of its block size \(type.blockSize)") {
                try GGUFFile(url: url)
            }
            var t = GGUFBytes()
            t.header(tensors: 1, kvs: 0)
            t.tensorInfo("blk.1.w", dims: [UInt64(type.blockSize), 3], type: type.rawValue, offset: 0)
            t.pad(); t.data(3 * type.blockBytes - 1)
            let cut = try write(t.bytes, "cut-\(type).gguf")
            assertFails(cut, "tensor \"blk.1.w\" (\(3 * type.blockBytes) bytes at data offset 0) runs past the end") {
                try GGUFFile(url: cut)
            }
        }
    }

    func testGGUFTruncatedAtEveryLength() throws {
        let sourceURL = ModelIOFixture.url("synthetic.gguf")
        let source = try Data(contentsOf: sourceURL)
        // Bytes after the last tensor are padding: cutting them leaves a valid file.
        let end = try GGUFFile(url: sourceURL).tensorInfos.map(\.byteRange.upperBound).max() ?? 0
        XCTAssertGreaterThan(end, 3000)
        let url = folder.appendingPathComponent("cut.gguf")
        for length in 0 ..< source.count {
            if length < end {
                XCTAssertThrowsError(try GGUFFile(data: source.prefix(length), url: url), "prefix \(length)") { error in
                    XCTAssertTrue(error is ModelIOError && "\(error)".contains("cut.gguf"), "\(error)")
                }
            } else {
                XCTAssertNoThrow(try GGUFFile(data: source.prefix(length), url: url), "prefix \(length)")
            }
        }
        // The same through a real file on disk.
        let cut = try write(Array(source.prefix(end - 1)), "cut-on-disk.gguf")
        assertFails(cut, "runs past the end") { try GGUFFile(url: cut) }
    }

    /// Random byte corruptions of valid files: each either opens (and then every tensor either
    /// reads or throws) or throws. Reaching the end without a trap is the test.
    func testRandomCorruptionsNeverTrap() throws {
        var rng = SplitMix64(state: 20_240_601)
        for fixture in ["synthetic.gguf", "synthetic.safetensors"] {
            let source = [UInt8](try Data(contentsOf: ModelIOFixture.url(fixture)))
            var opened = 0, refused = 0
            let url = folder.appendingPathComponent("fuzz-\(fixture)")
            for _ in 0 ..< 1500 {
                var bytes = source
                for _ in 0 ..< 1 + rng.below(4) {
                    let i = rng.below(min(bytes.count, 1 + rng.below(2) * bytes.count + 600))
                    bytes[i] = UInt8(truncatingIfNeeded: rng.next())
                }
                do {
                    if fixture.hasSuffix(".gguf") {
                        let f = try GGUFFile(data: Data(bytes), url: url)
                        for t in f.tensorInfos { _ = try? f.tensor(named: t.name) }
                        _ = try? ModelConfig(gguf: f)
                    } else {
                        let f = try SafeTensorsFile(data: Data(bytes), url: url)
                        for n in f.names { _ = try? f.tensor(named: n); _ = try? f.integers(named: n) }
                    }
                    opened += 1
                } catch let e as ModelIOError {
                    XCTAssertTrue(e.path.hasSuffix("fuzz-\(fixture)"))
                    refused += 1
                }
            }
            XCTAssertGreaterThan(refused, 0, fixture)
            XCTAssertGreaterThan(opened, 0, fixture)
        }
    }

    func testGGUFConfigErrorsNameTheFile() throws {
        var g = GGUFBytes()
        g.header(tensors: 0, kvs: 1)
        g.kvString("general.architecture", "gptj")
        let url = try write(g.bytes, "gptj.gguf")
        let file = try GGUFFile(url: url)
        assertFails(url, "unsupported general.architecture \"gptj\"") { try ModelConfig(gguf: file) }
        var h = GGUFBytes()
        h.header(tensors: 0, kvs: 2)
        h.kvString("general.architecture", "llama")
        h.kvU32("llama.embedding_length", 64)
        let url2 = try write(h.bytes, "partial.gguf")
        assertFails(url2, "llama.attention.head_count is missing") { try ModelConfig(gguf: GGUFFile(url: url2)) }
    }
}
