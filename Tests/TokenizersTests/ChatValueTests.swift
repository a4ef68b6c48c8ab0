import Foundation
@testable import Tokenizers
import XCTest

/// The JSON reader behind tool schemas: key order kept, escapes decoded, bad text refused with
/// its byte offset; and what `tojson` prints back.
final class ChatValueTests: XCTestCase {
    func testKeepsKeyOrderAndTypes() throws {
        let v = try ChatValue(json: #" {"z": 1, "a": [true, null, -2.5e1, "x"], "m": {}} "#)
        XCTAssertEqual(v, .object([.init("z", .int(1)), .init("a", .array([.bool(true), .null, .double(-25), .string("x")])),
                                   .init("m", .object([]))]))
        XCTAssertEqual(JinjaRenderer.json(v.jinja), #"{"z": 1, "a": [true, null, -25.0, "x"], "m": {}}"#)
    }

    func testStringEscapes() throws {
        let v = try ChatValue(json: #""a\"b\\c\/d\n\t\u00e9\ud83d\ude00\ud800x""#)
        XCTAssertEqual(v, .string("a\"b\\c/d\n\té😀\u{FFFD}x"))
    }

    func testBadTextIsRefusedWithItsOffset() {
        for (text, offset) in [("{\"a\" 1}", 5), ("[1, 2", 5), ("{\"a\": tru}", 6), ("\"open", 5), ("[1] x", 4), ("-", 0)] {
            XCTAssertThrowsError(try ChatValue(json: text), text) { e in
                XCTAssertEqual((e as? ChatJSONError)?.offset, offset, "\(text): \(e)")
            }
        }
        XCTAssertThrowsError(try ChatValue(json: String(repeating: "[", count: 1000)))
    }
}
