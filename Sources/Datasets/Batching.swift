import LinearAlgebra

/// The shuffled mini-batches of one epoch: a permutation of `0..<count` drawn with
/// ``SeededGenerator`` (seed `seed`, stream `tag + epoch`, Fisher–Yates), cut into consecutive
/// groups of `batchSize`. With `dropLast == false` every index appears exactly once per epoch
/// (the last batch may be smaller); with `dropLast == true` a final short batch is omitted.
/// Equal `(count, seed, epoch)` give the same order; different epochs give independent orders.
public struct BatchSchedule: Sequence, Sendable {
    /// Stream tag of the batch order generators (ASCII "BATC" in the upper 32 bits).
    static let streamTag: UInt64 = 0x4241_5443 << 32

    /// Number of items.
    public let count: Int
    /// Items per batch.
    public let batchSize: Int
    /// The seed.
    public let seed: UInt64
    /// The epoch (0, 1, …).
    public let epoch: Int
    /// Whether a final short batch is omitted.
    public let dropLast: Bool
    /// The epoch's permutation of `0..<count`.
    public let order: [Int]

    /// Draws the order of one epoch.
    /// - Throws: ``DatasetError/invalidArgument(operation:reason:)`` for a negative count or
    ///   epoch, or a non-positive batch size.
    public init(count: Int, batchSize: Int, seed: UInt64, epoch: Int, dropLast: Bool = false) throws {
        guard count >= 0 else { throw DatasetError.invalidArgument(operation: "BatchSchedule", reason: "negative count \(count)") }
        guard batchSize > 0 else {
            throw DatasetError.invalidArgument(operation: "BatchSchedule", reason: "batch size \(batchSize) must be positive")
        }
        guard epoch >= 0 else { throw DatasetError.invalidArgument(operation: "BatchSchedule", reason: "negative epoch \(epoch)") }
        var generator = SeededGenerator(seed: seed, stream: Self.streamTag &+ UInt64(epoch))
        self.count = count
        self.batchSize = batchSize
        self.seed = seed
        self.epoch = epoch
        self.dropLast = dropLast
        self.order = try generator.permutation(count: count)
    }

    /// Number of batches: `⌊count / batchSize⌋` with `dropLast`, else `⌈count / batchSize⌉`.
    public var batchCount: Int { dropLast ? count / batchSize : (count + batchSize - 1) / batchSize }

    /// The indices of batch `index` (in `0..<batchCount`).
    public subscript(index: Int) -> ArraySlice<Int> {
        order[index * batchSize..<Swift.min(count, (index + 1) * batchSize)]
    }

    /// An iterator over the batches in order.
    public func makeIterator() -> BatchIterator { BatchIterator(schedule: self) }
}

/// Iterates over the batches of a ``BatchSchedule``, yielding each batch's indices.
public struct BatchIterator: IteratorProtocol, Sendable {
    let schedule: BatchSchedule
    var nextBatch = 0

    /// The next batch's indices, or `nil` after the last batch.
    public mutating func next() -> ArraySlice<Int>? {
        guard nextBatch < schedule.batchCount else { return nil }
        defer { nextBatch += 1 }
        return schedule[nextBatch]
    }
}

/// The shuffled mini-batches of epoch `epoch` over `count` items (see ``BatchSchedule``).
/// - Throws: ``DatasetError/invalidArgument(operation:reason:)`` for invalid arguments.
public func batches(count: Int, size: Int, seed: UInt64, epoch: Int, dropLast: Bool = false) throws -> BatchSchedule {
    try BatchSchedule(count: count, batchSize: size, seed: seed, epoch: epoch, dropLast: dropLast)
}

/// The gathered mini-batches of epoch `epoch` of a MultiMNIST dataset, as tensors of `Scalar`
/// (see ``MultiDigitDataset/batches(size:seed:epoch:dropLast:as:)``).
/// - Throws: ``DatasetError/invalidArgument(operation:reason:)`` for invalid arguments.
public func batches<Scalar>(
    of dataset: MultiDigitDataset, size: Int, seed: UInt64, epoch: Int, dropLast: Bool = false, as type: Scalar.Type = Float.self
) throws -> GatheredBatches<Scalar> {
    try dataset.batches(size: size, seed: seed, epoch: epoch, dropLast: dropLast, as: type)
}
