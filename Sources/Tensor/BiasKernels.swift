/// The two kernels a bias needs: broadcasting it over the rows of a matrix in the forward
/// pass, and summing the output gradient over those rows in the backward pass.
extension Elementwise {
    /// `matrix[r, :] += vector` for every row `r`: adds a bias of `matrix.columns` values to
    /// each row of a tensor seen as a matrix.
    public static func addToRows(_ vector: Tensor, _ matrix: Tensor) {
        let columns = matrix.columns
        precondition(vector.count == columns,
                     "addToRows: vector of \(vector.count) values for rows of \(columns)")
        let v = vector.pointer, m = matrix.pointer
        Parallel.forEachRow(matrix.rows, rowCost: columns) { r in
            let row = m + r * columns
            var c = 0
            while c + laneCount <= columns {
                storeLanes(loadLanes(row, c) + loadLanes(v, c), row, c)
                c += laneCount
            }
            while c < columns {
                row[c] += v[c]
                c += 1
            }
        }
    }

    /// `vector[c] = Σ_r matrix[r, c]` (or `+=` that sum when `accumulate` is true): the sum over
    /// the rows of a tensor seen as a matrix, i.e. the gradient of a bias added to each row.
    ///
    /// The rows are cut into fixed blocks of 256, summed in fp32 (four rows per pass) into one
    /// partial vector per block, blocks spread over the cores; the partials are then added in
    /// block order in fp64. Each thread streams through contiguous rows, the result does not
    /// depend on the number of threads, and it stays accurate over many rows.
    public static func sumRows(_ matrix: Tensor, into vector: Tensor, accumulate: Bool = false) {
        let rows = matrix.rows, columns = matrix.columns
        precondition(vector.count == columns,
                     "sumRows: vector of \(vector.count) values for rows of \(columns)")
        let m = matrix.pointer, v = vector.pointer
        let blockRows = 256
        let blocks = (rows + blockRows - 1) / blockRows
        let partials = UnsafeMutablePointer<Float>.allocate(capacity: max(1, blocks * columns))
        defer { partials.deallocate() }
        partials.initialize(repeating: 0, count: max(1, blocks * columns))
        let minBlocks = max(1, LaneKernels.minimumChunk / max(1, blockRows * columns))
        Parallel.forEachChunk(blocks, minChunk: minBlocks) { blockRange in
            for block in blockRange {
                sumRows(m + block * blockRows * columns, rows: min(blockRows, rows - block * blockRows),
                        columns: columns, into: partials + block * columns)
            }
        }
        for c in 0..<columns {
            var total = accumulate ? Double(v[c]) : 0
            for block in 0..<blocks { total += Double(partials[block * columns + c]) }
            v[c] = Float(total)
        }
    }

    /// `partial[c] += Σ_r rows[r, c]` for a few rows, in fp32.
    @inline(__always)
    private static func sumRows(_ m: UnsafeMutablePointer<Float>, rows: Int, columns: Int,
                                into partial: UnsafeMutablePointer<Float>) {
        var r = 0
        // Four rows per pass over the partial sums: a quarter of the loads and stores of the
        // partials, which otherwise bound the loop.
        while r + 4 <= rows {
            let a = m + r * columns, b = a + columns, c2 = b + columns, d = c2 + columns
            var c = 0
            while c + laneCount <= columns {
                let four = (loadLanes(a, c) + loadLanes(b, c)) + (loadLanes(c2, c) + loadLanes(d, c))
                storeLanes(loadLanes(partial, c) + four, partial, c)
                c += laneCount
            }
            while c < columns {
                partial[c] += (a[c] + b[c]) + (c2[c] + d[c])
                c += 1
            }
            r += 4
        }
        while r < rows {
            let row = m + r * columns
            var c = 0
            while c + laneCount <= columns {
                storeLanes(loadLanes(partial, c) + loadLanes(row, c), partial, c)
                c += laneCount
            }
            while c < columns {
                partial[c] += row[c]
                c += 1
            }
            r += 1
        }
    }
}
