import XCTest

final class LoRASBTestsPlaceholder: XCTestCase {}
