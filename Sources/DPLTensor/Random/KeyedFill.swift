// MARK: - Batch fills keyed by sample id

extension Tensor {
    /// A tensor of shape `[N, ...]` of uniforms in [low, high) whose row n is the start of
    /// the stream of sample `sampleIDs[n]` under `key`.
    ///
    /// A sample's noise therefore depends only on (key, its id): not on which batch it is
    /// in, the batch size, its row, or the thread count.
    /// - Throws: `TensorError` when the shape has no batch axis, a negative extent, or a
    ///   batch extent different from the number of ids.
    public static func uniform(
        shape: [Int], key: RandomKey, sampleIDs: [UInt64], low: Float = 0, high: Float = 1
    ) throws -> Tensor {
        try keyedRows(op: "uniform", shape: shape, key: key, sampleIDs: sampleIDs) { stream, row in
            stream.fillUniform(row, low: low, high: high)
        }
    }

    /// A tensor of shape `[N, ...]` of normals whose row n is the start of the stream of
    /// sample `sampleIDs[n]` under `key` (see `uniform(shape:key:sampleIDs:low:high:)`).
    /// - Throws: `TensorError` as `uniform(shape:key:sampleIDs:low:high:)` does.
    public static func normal(
        shape: [Int], key: RandomKey, sampleIDs: [UInt64], mean: Float = 0, standardDeviation: Float = 1
    ) throws -> Tensor {
        try keyedRows(op: "normal", shape: shape, key: key, sampleIDs: sampleIDs) { stream, row in
            stream.fillNormal(row, mean: mean, standardDeviation: standardDeviation)
        }
    }

    /// Checks the shape against the ids and fills each row from its sample's fresh stream.
    /// The Philox key is derived once for the whole batch.
    private static func keyedRows(
        op: String, shape: [Int], key: RandomKey, sampleIDs: [UInt64],
        fillRow: (inout RandomStream, UnsafeMutableBufferPointer<Float>) -> Void
    ) throws -> Tensor {
        guard let batch = shape.first else {
            throw TensorError(op, "shape [] has no batch axis; give a shape [N, ...] with one row per sample id")
        }
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw TensorError(op, "shape \(shapeString(shape)) has a negative extent")
        }
        guard batch == sampleIDs.count else {
            throw TensorError(op, "shape \(shapeString(shape)) has \(batch) rows but \(sampleIDs.count) sample ids were given; pass one id per row")
        }
        let rowLength = shape.dropFirst().reduce(1, *)
        let philoxKey = key.philoxKey
        // Each row is its own sample's stream, so rows are filled on the engine's workers (the
        // noise of every reverse step was serial work before each step's parallel part).
        // A normal costs a logarithm and a sine or cosine: weigh each float as 8 plain elements.
        let rows = chunkRanges(count: batch, size: itemsPerChunk(workPerItem: 8 * rowLength))
        return Tensor.uninitialized(shape: shape) { buffer in
            parallelFor(rows.count) { chunk in
                for row in rows[chunk] {
                    var stream = RandomStream(philoxKey: philoxKey, sample: sampleIDs[row])
                    let start = buffer.baseAddress.map { $0 + row * rowLength }
                    fillRow(&stream, UnsafeMutableBufferPointer(start: start, count: rowLength))
                }
            }
        }
    }
}
