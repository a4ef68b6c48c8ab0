import XCTest

final class ModelIOTestsPlaceholder: XCTestCase {}
