import XCTest

final class TokenizersTestsPlaceholder: XCTestCase {}
