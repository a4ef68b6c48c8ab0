import Distributed
import Foundation
import XCTest

final class SHA256Tests: XCTestCase {
    private func digest(_ text: String) -> String {
        var d = SHA256()
        d.update(Data(text.utf8))
        return d.finalize()
    }

    func testFIPSExamples() {
        // FIPS 180-4's examples (one block, two blocks) and the empty message.
        XCTAssertEqual(digest(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(digest("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(digest("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    func testPiecesGiveTheDigestOfTheWhole() throws {
        // A million 'a's (FIPS 180-4's long example), fed in uneven pieces and read from a file.
        let whole = Data(repeating: UInt8(ascii: "a"), count: 1_000_000)
        var d = SHA256()
        var at = 0
        for size in [1, 63, 64, 65, 1000, 7] where at < whole.count {
            d.update(whole[at..<min(whole.count, at + size)]); at += size
        }
        d.update(whole[at...])
        let expected = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        XCTAssertEqual(d.finalize(), expected)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sha256-\(UUID().uuidString)")
        try whole.write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        XCTAssertEqual(try SHA256.file(url), expected)
    }
}
