import Foundation
import XCTest
import TestSupport

/// Reads the JSON fixtures under Tests/Fixtures/modelio (made by scripts/fixtures/modelio.py).
enum ModelIOFixture {
    static var folder: URL { TestPaths.fixtures.appendingPathComponent("modelio") }

    static func url(_ name: String) -> URL { folder.appendingPathComponent(name) }

    static func object(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: url(name))
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw FixtureError("\(name) is not a JSON object")
        }
        return object
    }
}

struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// Typed reads from fixture dictionaries, failing the test instead of trapping.
extension Dictionary where Key == String, Value == Any {
    func string(_ key: String) throws -> String {
        guard let v = self[key] as? String else { throw FixtureError("fixture key \(key) is not a string") }
        return v
    }
    func int(_ key: String) throws -> Int {
        guard let v = self[key] as? Int else { throw FixtureError("fixture key \(key) is not an integer") }
        return v
    }
    func double(_ key: String) throws -> Double {
        guard let v = self[key] as? Double else { throw FixtureError("fixture key \(key) is not a number") }
        return v
    }
    func ints(_ key: String) throws -> [Int] {
        guard let v = self[key] as? [Int] else { throw FixtureError("fixture key \(key) is not an integer array") }
        return v
    }
    /// float32 values stored as their bit patterns (exact, unlike decimal text through
    /// Foundation's JSON parser).
    func floats(_ key: String) throws -> [Float] {
        guard let v = self[key] as? [Any] else { throw FixtureError("fixture key \(key) is not an array") }
        return try v.map {
            guard let n = $0 as? Int, let bits = UInt32(exactly: n) else {
                throw FixtureError("fixture key \(key) holds a value that is not a float32 bit pattern")
            }
            return Float(bitPattern: bits)
        }
    }
    func objects(_ key: String) throws -> [[String: Any]] {
        guard let v = self[key] as? [[String: Any]] else { throw FixtureError("fixture key \(key) is not an array of objects") }
        return v
    }
}

/// Asserts two float arrays are identical bit for bit.
func assertBitEqual(_ ours: [Float], _ reference: [Float], _ what: String,
                    file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(ours.count, reference.count, "\(what): count", file: file, line: line)
    var mismatches = 0
    for (i, (a, b)) in zip(ours, reference).enumerated() where a.bitPattern != b.bitPattern {
        if mismatches < 5 { XCTFail("\(what)[\(i)]: ours \(a), reference \(b)", file: file, line: line) }
        mismatches += 1
    }
    if mismatches > 5 { XCTFail("\(what): \(mismatches) mismatches in all", file: file, line: line) }
}

/// Float64 sum and sum of squares of `values`, for comparing with fixture checksums.
func checksums(_ values: UnsafeBufferPointer<Float>) -> (sum: Double, sumSquares: Double) {
    var s = 0.0, q = 0.0
    for v in values {
        let d = Double(v)
        s += d
        q += d * d
    }
    return (s, q)
}

func assertRelativelyClose(_ a: Double, _ b: Double, _ tolerance: Double, _ what: String,
                           file: StaticString = #filePath, line: UInt = #line) {
    let scale = max(abs(a), abs(b), 1e-30)
    XCTAssertLessThanOrEqual(abs(a - b) / scale, tolerance, "\(what): ours \(a), reference \(b)", file: file, line: line)
}

/// A fresh temporary folder, removed when the test ends.
func temporaryFolder(_ test: XCTestCase) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("modelio-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url
}
