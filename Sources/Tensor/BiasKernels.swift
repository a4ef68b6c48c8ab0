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
    /// Columns are split over the cores in blocks of 16; rows are summed in order in fp32 over
    /// groups of 256 and the group sums in fp64, so the result does not depend on the number of
    /// threads and stays accurate over many rows.
    public static func sumRows(_ matrix: Tensor, into vector: Tensor, accumulate: Bool = false) {
        let rows = matrix.rows, columns = matrix.columns
        precondition(vector.count == columns,
                     "sumRows: vector of \(vector.count) values for rows of \(columns)")
        let m = matrix.pointer, v = vector.pointer
        let blocks = (columns + laneCount - 1) / laneCount
        let minBlocks = max(1, LaneKernels.minimumChunk / max(1, rows * laneCount))
        Parallel.forEachChunk(blocks, minChunk: minBlocks) { blockRange in
            let lo = blockRange.lowerBound * laneCount
            let hi = min(columns, blockRange.upperBound * laneCount)
            let width = hi - lo
            let partial = UnsafeMutablePointer<Float>.allocate(capacity: width)
            let total = UnsafeMutablePointer<Double>.allocate(capacity: width)
            defer { partial.deallocate(); total.deallocate() }
            total.initialize(repeating: 0, count: width)
            partial.initialize(repeating: 0, count: width)
            let group = 256
            var r0 = 0
            while r0 < rows {
                let r1 = min(rows, r0 + group)
                partial.update(repeating: 0, count: width)
                for r in r0..<r1 {
                    let row = m + r * columns + lo
                    var c = 0
                    while c + laneCount <= width {
                        storeLanes(loadLanes(partial, c) + loadLanes(row, c), partial, c)
                        c += laneCount
                    }
                    while c < width {
                        partial[c] += row[c]
                        c += 1
                    }
                }
                for c in 0..<width { total[c] += Double(partial[c]) }
                r0 = r1
            }
            for c in 0..<width {
                v[lo + c] = accumulate ? Float(Double(v[lo + c]) + total[c]) : Float(total[c])
            }
        }
    }
}
