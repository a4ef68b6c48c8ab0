/// A cursor reading little-endian values from a `MappedFile`, checking every read against the
/// end of the file, so a truncated or lying header becomes an error instead of a fault.
struct ByteReader {
    let file: MappedFile
    private(set) var offset: Int

    init(_ file: MappedFile, offset: Int = 0) {
        self.file = file
        self.offset = offset
    }

    /// Bytes left between the cursor and the end of the file.
    var remaining: Int { file.count - offset }

    /// Reads a fixed-width little-endian integer; `what` names the field for error messages.
    mutating func read<T: FixedWidthInteger>(_: T.Type, _ what: @autoclosure () -> String) throws -> T {
        let size = MemoryLayout<T>.size
        guard file.contains(offset: offset, length: size) else {
            throw ModelIOError(file.url, "truncated: file ends at byte \(file.count) while reading \(what()) at byte \(offset)")
        }
        let value = file.data.withUnsafeBytes { raw in
            raw.loadUnaligned(fromByteOffset: offset, as: T.self)
        }
        offset += size
        return T(littleEndian: value)
    }

    /// Reads `count` consecutive little-endian integers in one pass.
    mutating func readArray<T: FixedWidthInteger>(_: T.Type, count: Int,
                                                  _ what: @autoclosure () -> String) throws -> [T] {
        let size = MemoryLayout<T>.size
        let (bytes, overflow) = count.multipliedReportingOverflow(by: size)
        guard count >= 0, !overflow, file.contains(offset: offset, length: bytes) else {
            throw ModelIOError(file.url, "truncated: \(what()) (\(count) × \(size) bytes at byte \(offset)) run past the end of the file (\(file.count) bytes)")
        }
        let start = offset
        let values = file.data.withUnsafeBytes { raw in
            (0 ..< count).map { i in T(littleEndian: raw.loadUnaligned(fromByteOffset: start + i * size, as: T.self)) }
        }
        offset += bytes
        return values
    }

    mutating func readFloat(_ what: @autoclosure () -> String) throws -> Float {
        Float(bitPattern: try read(UInt32.self, what()))
    }

    mutating func readDouble(_ what: @autoclosure () -> String) throws -> Double {
        Double(bitPattern: try read(UInt64.self, what()))
    }

    /// Reads `length` bytes as UTF-8 text (invalid sequences are repaired, not trusted).
    mutating func readString(length: Int, _ what: @autoclosure () -> String) throws -> String {
        guard length >= 0, length <= remaining else {
            throw ModelIOError(file.url, "\(what()) claims \(length) bytes at byte \(offset) but only \(remaining) remain in the file")
        }
        let text = file.data.withUnsafeBytes { raw in
            String(decoding: UnsafeRawBufferPointer(rebasing: raw[offset ..< offset + length]), as: UTF8.self)
        }
        offset += length
        return text
    }

    /// Moves the cursor to `newOffset`, which must lie inside the file.
    mutating func seek(to newOffset: Int) throws {
        guard newOffset >= 0, newOffset <= file.count else {
            throw ModelIOError(file.url, "offset \(newOffset) lies outside the file (\(file.count) bytes)")
        }
        offset = newOffset
    }
}
