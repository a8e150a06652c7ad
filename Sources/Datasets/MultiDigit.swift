import Foundation
import LinearAlgebra

/// How one composite image was made: which source digits, pasted where.
public struct CompositeRecipe: Sendable, Equatable {
    /// Index (in the top-left source's ``LabeledDigits``) of the top-left digit.
    public let leftSource: Int
    /// Index (in the bottom-right source's ``LabeledDigits``) of the bottom-right digit.
    public let rightSource: Int
    /// The left digit's top-left corner on the 36×36 canvas is `(leftOffset, leftOffset)`: `a ∈ 0...4`.
    public let leftOffset: Int
    /// The right digit's top-left corner is `(rightOffset, rightOffset)`: `4 + b`, `b ∈ 0...4`.
    public let rightOffset: Int

    /// Creates a recipe.
    public init(leftSource: Int, rightSource: Int, leftOffset: Int, rightOffset: Int) {
        self.leftSource = leftSource
        self.rightSource = rightSource
        self.leftOffset = leftOffset
        self.rightOffset = rightOffset
    }
}

/// MultiMNIST / MultiFashionMNIST (Sener & Koltun, NeurIPS 2018; Lin et al., ParetoMTL,
/// NeurIPS 2019): two 28×28 digits overlaid on a 36×36 canvas, one towards the top left and one
/// towards the bottom right, resized to `side × side`. Task 1 is the left digit's class,
/// task 2 the right digit's.
///
/// Construction (DESIGN.md, "Data"), deterministic from a seed:
/// 1. Round `r = 0, 1, …` uses `SeededGenerator(seed: seed, stream: tag + r)` and draws two
///    permutations σ, π of the `N` source digits, then, for each composite `j` of the round in
///    order, offsets `(a, b)` uniform on `{0…4}²` minus `(4, 0)` (rejection sampling).
///    Composite `j` pairs left digit `σ(j)` with right digit `π(j)`; over a full round every
///    digit is a left digit once and a right digit once, so digit `i` is paired with
///    `π(σ⁻¹(i))`, image `i` of a random permutation of the same split, as in the public
///    construction (a digit may be paired with itself, as there).
///    If `count > N`, further rounds follow with fresh permutations; composite `k` belongs to
///    round `k / N`. A smaller `count` is a prefix of a larger one with the same seed.
/// 2. The left digit is pasted with its top-left corner at `(a, a)`, the right digit at
///    `(4 + b, 4 + b)`; overlapping pixel values are added and clipped to 255.
///    "Never both zero overlap": the right digit's displacement from the left one is
///    `4 + b − a ∈ 0…8`, which is zero — the two digits exactly on top of each other — only for
///    `(a, b) = (4, 0)`; that pair is excluded, so the displacement lies in `1…8`, 24 equally
///    likely offset pairs.
/// 3. Nearest-neighbour resize to `side × side`: output pixel `(y, x)` is canvas pixel
///    `(⌊36·y / side⌋, ⌊36·x / side⌋)` (for side 28: `⌊9y/7⌋`; for 14: `⌊18y/7⌋`).
/// 4. Normalisation `(p / 255 − 0.1307) / 0.3081` (MNIST training mean and standard deviation).
public struct MultiDigitDataset: Sendable {
    /// Side of the canvas the digits are pasted on.
    public static let canvasSide = 36
    /// Side of a source digit.
    public static let digitSide = 28
    /// Largest random offset `a` (left) or `b` (right).
    public static let maximumJitter = 4
    /// Extra diagonal shift of the right digit.
    public static let rightShift = 4
    /// Normalisation mean (MNIST training pixels / 255).
    public static let mean: Float = 0.1307
    /// Normalisation standard deviation (MNIST training pixels / 255).
    public static let standardDeviation: Float = 0.3081
    /// Stream tag of the construction's generators (ASCII "MULT" in the upper 32 bits).
    static let streamTag: UInt64 = 0x4D55_4C54 << 32

    /// Number of composites.
    public let count: Int
    /// Side of each output image.
    public let side: Int
    /// The normalised images, `count × 1 × side × side` (NCHW), row-major.
    public let images: [Float]
    /// Class of each composite's left (top-left) digit: task 1.
    public let leftLabels: [Int]
    /// Class of each composite's right (bottom-right) digit: task 2.
    public let rightLabels: [Int]
    /// How each composite was made.
    public let recipes: [CompositeRecipe]
    /// Name of the source the digits came from.
    public let sourceName: String
    /// The composite data set these composites belong to (set by
    /// ``DataSelection/multiDigitSplits(trainCount:testCount:seed:side:)``; `nil` for composites
    /// built from other digits).
    public var composite: CompositeDataset?

    /// A digest of the composites (images, both labels, the side): equal digests mean the same
    /// data, whatever the source, seed or count that made it (``ContentDigest``).
    public var digest: String {
        var digest = ContentDigest()
        digest.combine(side)
        digest.combine(images)
        digest.combine(leftLabels)
        digest.combine(rightLabels)
        return digest.hex
    }

    /// Builds `count` composites from `digits` (see the type's documentation): MultiMNIST or
    /// MultiFashion (Ma et al. 2020, §6.1), both objects from one source; the same construction as
    /// ``init(left:right:count:seed:side:)`` with `left` and `right` both `digits`.
    /// - Parameters:
    ///   - digits: the source split (28×28 images); composites use only these digits.
    ///   - count: number of composites (`nil`: one per source digit).
    ///   - seed: the seed; equal seeds give identical datasets.
    ///   - side: output side, 28 (MultiMNIST) or 14 (the small network of Ma et al.); any of 1...36.
    /// - Throws: ``DatasetError/wrongImageShape(source:rows:columns:required:)`` for digits that are
    ///   not 28×28, ``DatasetError/invalidArgument(operation:reason:)`` for a negative count, a side
    ///   outside 1...36, or composites requested from an empty source.
    public init(digits: LabeledDigits, count: Int? = nil, seed: UInt64, side: Int = 28) throws {
        try self.init(left: digits, right: digits, count: count, seed: seed, side: side, sourceName: digits.sourceName)
    }

    /// Builds `count` composites whose top-left objects come from `left` and bottom-right objects
    /// from `right`: MultiFashion+MNIST (Ma et al. 2020, §6.1; Lin et al. 2019) with `left` MNIST
    /// digits and `right` Fashion-MNIST items. Task 1 is the class of the `left` object, task 2
    /// the class of the `right` object.
    ///
    /// The construction is the type's (steps 1–4), with one change in step 1: round `r` draws a
    /// permutation σ of the `N_left` left sources and then a permutation π of the `N_right` right
    /// sources, and holds `R = min(N_left, N_right)` composites; composite `j` of the round pairs
    /// left object `σ(j)` with right object `π(j)`. Over a full round every object of the
    /// smaller source appears once and every object of the larger one at most once (a random
    /// subset of `R` of them). With `left` = `right` this is exactly
    /// ``init(digits:count:seed:side:)``. A smaller `count` is a prefix of a larger one.
    /// - Parameters:
    ///   - left: the top-left objects' source split (28×28).
    ///   - right: the bottom-right objects' source split (28×28); may be `left` itself.
    ///   - count: number of composites (`nil`: `min(N_left, N_right)`, one round).
    ///   - seed: the seed; equal seeds give identical datasets.
    ///   - side: output side, 1...36 (28 by default).
    /// - Throws: ``DatasetError/wrongImageShape(source:rows:columns:required:)`` for images that are
    ///   not 28×28, ``DatasetError/invalidArgument(operation:reason:)`` for a negative count, a side
    ///   outside 1...36, or composites requested when either source is empty.
    public init(left: LabeledDigits, right: LabeledDigits, count: Int? = nil, seed: UInt64, side: Int = 28) throws {
        try self.init(
            left: left, right: right, count: count, seed: seed, side: side,
            sourceName: "\(left.sourceName) (top left) + \(right.sourceName) (bottom right)")
    }

    private init(left: LabeledDigits, right: LabeledDigits, count: Int?, seed: UInt64, side: Int, sourceName: String) throws {
        let operation = "MultiDigitDataset"
        let roundSize = min(left.count, right.count)
        let count = count ?? roundSize
        for digits in [left, right] {
            guard digits.images.rows == Self.digitSide, digits.images.columns == Self.digitSide else {
                throw DatasetError.wrongImageShape(
                    source: digits.sourceName, rows: digits.images.rows, columns: digits.images.columns,
                    required: "MultiMNIST needs 28×28 digits")
            }
        }
        guard count >= 0 else { throw DatasetError.invalidArgument(operation: operation, reason: "negative count \(count)") }
        guard (1...Self.canvasSide).contains(side) else {
            throw DatasetError.invalidArgument(operation: operation, reason: "side \(side) outside 1...\(Self.canvasSide)")
        }
        guard count == 0 || roundSize > 0 else {
            throw DatasetError.invalidArgument(operation: operation, reason: "\(count) composites requested from an empty source")
        }
        // The images alone take count·side²·4 bytes; refuse what cannot fit instead of letting
        // the allocation abort the process.
        let (pixels, overflow) = count.multipliedReportingOverflow(by: side * side)
        let limit = ProcessInfo.processInfo.physicalMemory / 2
        guard !overflow, UInt64(pixels) <= limit / 4 else {
            throw DatasetError.invalidArgument(
                operation: operation,
                reason: "\(count) composites of \(side)×\(side) need more than half of this machine's \(ProcessInfo.processInfo.physicalMemory >> 30) GiB of memory")
        }

        var recipes: [CompositeRecipe] = []
        recipes.reserveCapacity(count)
        var round: UInt64 = 0
        while recipes.count < count {
            var generator = SeededGenerator(seed: seed, stream: Self.streamTag &+ round)
            let lefts = try generator.permutation(count: left.count)
            let rights = try generator.permutation(count: right.count)
            for j in 0..<min(roundSize, count - recipes.count) {
                var a: Int, b: Int
                repeat {
                    a = generator.uniformIndex(below: Self.maximumJitter + 1)
                    b = generator.uniformIndex(below: Self.maximumJitter + 1)
                } while a == Self.maximumJitter && b == 0
                recipes.append(
                    CompositeRecipe(leftSource: lefts[j], rightSource: rights[j], leftOffset: a, rightOffset: Self.rightShift + b))
            }
            round += 1
        }

        let pixelsPerImage = side * side
        var images = [Float](repeating: 0, count: count * pixelsPerImage)
        // Normalised value of each byte, computed once.
        let table = (0...255).map { Self.normalize(UInt8($0)) }
        let sourceRows = (0..<side).map { $0 * Self.canvasSide / side }
        images.withUnsafeMutableBufferPointer { output in
            for (k, recipe) in recipes.enumerated() {
                let canvas = Self.composeUnchecked(
                    left: left.images.image(at: recipe.leftSource), right: right.images.image(at: recipe.rightSource),
                    leftOffset: recipe.leftOffset, rightOffset: recipe.rightOffset)
                let base = k * pixelsPerImage
                for y in 0..<side {
                    for x in 0..<side {
                        output[base + y * side + x] = table[Int(canvas[sourceRows[y] * Self.canvasSide + sourceRows[x]])]
                    }
                }
            }
        }
        self.count = count
        self.side = side
        self.images = images
        self.leftLabels = recipes.map { Int(left.labels[$0.leftSource]) }
        self.rightLabels = recipes.map { Int(right.labels[$0.rightSource]) }
        self.recipes = recipes
        self.sourceName = sourceName
    }

    /// `(p / 255 − mean) / standardDeviation` in `Float`.
    public static func normalize(_ pixel: UInt8) -> Float {
        (Float(pixel) / 255 - mean) / standardDeviation
    }

    /// The 36×36 canvas (row-major) with `left` (28×28) pasted at `(leftOffset, leftOffset)` and
    /// `right` at `(rightOffset, rightOffset)`, values added and clipped to 255.
    /// - Throws: ``DatasetError/invalidArgument(operation:reason:)`` unless both digits have
    ///   784 pixels and both offsets lie in `0...8` (so the digits fit on the canvas).
    public static func compose(
        left: ArraySlice<UInt8>, right: ArraySlice<UInt8>, leftOffset: Int, rightOffset: Int
    ) throws -> [UInt8] {
        let fits = 0...(canvasSide - digitSide)
        guard left.count == digitSide * digitSide, right.count == digitSide * digitSide,
            fits.contains(leftOffset), fits.contains(rightOffset)
        else {
            throw DatasetError.invalidArgument(
                operation: "MultiDigitDataset.compose",
                reason: "needs two 28×28 digits and offsets in \(fits); got \(left.count) and \(right.count) pixels, offsets \(leftOffset) and \(rightOffset)")
        }
        return composeUnchecked(left: left, right: right, leftOffset: leftOffset, rightOffset: rightOffset)
    }

    /// ``compose(left:right:leftOffset:rightOffset:)`` for arguments known to be valid.
    static func composeUnchecked(
        left: ArraySlice<UInt8>, right: ArraySlice<UInt8>, leftOffset: Int, rightOffset: Int
    ) -> [UInt8] {
        var sum = [UInt16](repeating: 0, count: canvasSide * canvasSide)
        for (digit, offset) in [(left, leftOffset), (right, rightOffset)] {
            var index = digit.startIndex
            for y in 0..<digitSide {
                let row = (y + offset) * canvasSide + offset
                for x in 0..<digitSide {
                    sum[row + x] += UInt16(digit[index])
                    index += 1
                }
            }
        }
        return sum.map { UInt8(min($0, 255)) }
    }

    /// The normalised pixels of composite `index` (`side × side`, row-major).
    public func image(at index: Int) -> ArraySlice<Float> {
        images[index * side * side..<(index + 1) * side * side]
    }

    /// The composites at `indices` as an NCHW tensor `[n, 1, side, side]` and their labels,
    /// `labels[0]` = left digits (task 1), `labels[1]` = right digits (task 2).
    /// - Throws: ``DatasetError/invalidArgument(operation:reason:)`` for an index out of range.
    public func batch<Scalar: BLASScalar>(_ indices: some Collection<Int>, as _: Scalar.Type = Float.self) throws
        -> MultiDigitBatch<Scalar>
    {
        if let bad = indices.first(where: { !(0..<count).contains($0) }) {
            throw DatasetError.invalidArgument(operation: "MultiDigitDataset.batch", reason: "index \(bad) outside 0..<\(count)")
        }
        return gather(Array(indices))
    }

    /// ``batch(_:as:)`` for indices known to be valid.
    func gather<Scalar: BLASScalar>(_ indices: [Int]) -> MultiDigitBatch<Scalar> {
        let pixelsPerImage = side * side
        var scalars = [Scalar]()
        scalars.reserveCapacity(indices.count * pixelsPerImage)
        for index in indices {
            for value in image(at: index) { scalars.append(Scalar(value)) }
        }
        return MultiDigitBatch(
            images: Tensor(uncheckedShape: [indices.count, 1, side, side], scalars: scalars),
            labels: [indices.map { leftLabels[$0] }, indices.map { rightLabels[$0] }],
            indices: indices)
    }

    /// Shuffled mini-batches of the composites for one epoch (see ``BatchSchedule``), gathered
    /// into tensors of `Scalar` (`Float` for training, `Double` for tests).
    /// - Throws: ``DatasetError/invalidArgument(operation:reason:)`` for a non-positive size or negative epoch.
    public func batches<Scalar: BLASScalar>(
        size: Int, seed: UInt64, epoch: Int, dropLast: Bool = false, as _: Scalar.Type = Float.self
    ) throws -> GatheredBatches<Scalar> {
        GatheredBatches(dataset: self, schedule: try BatchSchedule(count: count, batchSize: size, seed: seed, epoch: epoch, dropLast: dropLast))
    }
}

/// A mini-batch of composites: images `[n, 1, side, side]`, labels per task
/// (`labels[0]` left digits, `labels[1]` right digits), and the composites' indices.
public struct MultiDigitBatch<Scalar: BLASScalar>: Sendable {
    /// The normalised images, NCHW.
    public let images: Tensor<Scalar>
    /// `labels[t][i]`: class of task `t` (0 = left, 1 = right) for image `i`.
    public let labels: [[Int]]
    /// Index in the dataset of each image.
    public let indices: [Int]
}

/// The gathered mini-batches of one epoch of a ``MultiDigitDataset``.
public struct GatheredBatches<Scalar: BLASScalar>: Sequence, Sendable {
    /// The dataset.
    public let dataset: MultiDigitDataset
    /// The order and grouping of indices.
    public let schedule: BatchSchedule

    /// An iterator gathering one batch per step.
    public func makeIterator() -> Iterator { Iterator(dataset: dataset, indices: schedule.makeIterator()) }

    /// Gathers the batches of a ``BatchIterator``.
    public struct Iterator: IteratorProtocol {
        let dataset: MultiDigitDataset
        var indices: BatchIterator

        /// The next batch, or `nil` after the last.
        public mutating func next() -> MultiDigitBatch<Scalar>? {
            indices.next().map { dataset.gather(Array($0)) }
        }
    }
}

extension DataSelection {
    /// MultiMNIST training and test composites built from this selection's splits: train
    /// composites only from ``train`` digits (seed `seed`), test composites only from ``test``
    /// digits (seed `SplitMix64.mix(seed ^ 0x74657374)`, so the two splits use unrelated
    /// random streams). `nil` counts give one composite per source digit.
    ///
    /// With a ``companion`` (MultiFashion+MNIST, Ma et al. 2020 §6.1) the top-left objects come
    /// from this selection's splits (MNIST) and the bottom-right objects from the companion's
    /// (Fashion-MNIST), built by ``MultiDigitDataset/init(left:right:count:seed:side:)`` with the
    /// same seeds; `nil` counts give `min(N_MNIST, N_Fashion)` composites per split (the smaller
    /// source limits the count, as one composite per source image does for one source).
    /// - Throws: the errors of ``MultiDigitDataset/init(left:right:count:seed:side:)``.
    public func multiDigitSplits(trainCount: Int? = nil, testCount: Int? = nil, seed: UInt64, side: Int = 28) throws
        -> (train: MultiDigitDataset, test: MultiDigitDataset)
    {
        let testSeed = SplitMix64.mix(seed ^ 0x7465_7374)
        var train: MultiDigitDataset
        var test: MultiDigitDataset
        if let companion {
            train = try MultiDigitDataset(left: self.train, right: companion.train, count: trainCount, seed: seed, side: side)
            test = try MultiDigitDataset(left: self.test, right: companion.test, count: testCount, seed: testSeed, side: side)
        } else {
            train = try MultiDigitDataset(digits: self.train, count: trainCount, seed: seed, side: side)
            test = try MultiDigitDataset(digits: self.test, count: testCount, seed: testSeed, side: side)
        }
        train.composite = composite
        test.composite = composite
        return (train, test)
    }
}

/// The two-object composite data sets (Sener & Koltun 2018; Ma et al. 2020, §6.1): two source
/// images per canvas, one task per object.
public enum CompositeDataset: String, Sendable, Codable, CaseIterable {
    /// MultiMNIST: two MNIST digits.
    case multimnist
    /// MultiFashion: two Fashion-MNIST items.
    case multifashion
    /// MultiFashion+MNIST (Ma et al. 2020, §6.1; Lin et al. 2019): an MNIST digit at the top
    /// left (task 1) and a Fashion-MNIST item at the bottom right (task 2). The papers do not
    /// say which source goes where; this order is ParetoKit's choice.
    case multifashionMNIST = "multifashion-mnist"

    /// The single-source composite data set of a source kind (`multimnist` or `multifashion`).
    public init(_ kind: DatasetKind) {
        self = kind == .mnist ? .multimnist : .multifashion
    }

    /// The data set a front file's `problem` names (``name(side:)``: the raw value, optionally
    /// followed by `-SIDE`), or `nil` for another name. Ma et al. 2020, §6.1.
    public init?(frontName: String) {
        if let exact = CompositeDataset(rawValue: frontName) {
            self = exact
            return
        }
        guard let dash = frontName.lastIndex(of: "-"), Int(frontName[frontName.index(after: dash)...]) != nil,
            let base = CompositeDataset(rawValue: String(frontName[..<dash]))
        else { return nil }
        self = base
    }

    /// The source of the top-left objects (for `multifashion-mnist`: MNIST); for the
    /// single-source sets, the only source (Ma et al. 2020, §6.1).
    public var kind: DatasetKind { sources[0] }

    /// The sources of the top-left and bottom-right objects, in that order (Ma et al. 2020, §6.1).
    public var sources: [DatasetKind] {
        switch self {
        case .multimnist: return [.mnist, .mnist]
        case .multifashion: return [.fashionMNIST, .fashionMNIST]
        case .multifashionMNIST: return [.mnist, .fashionMNIST]
        }
    }

    /// Task names recorded in checkpoints: task 1 the top-left object, task 2 the bottom-right
    /// one (Ma et al. 2020, §6.1).
    public var tasks: [String] {
        switch self {
        case .multimnist: return ["left digit", "right digit"]
        case .multifashion: return ["left item", "right item"]
        case .multifashionMNIST: return ["left digit", "right item"]
        }
    }

    /// The name recorded in front files: the raw value, with `-SIDE` for composites that are
    /// not 28×28 (e.g. `multimnist-14`).
    public func name(side: Int) -> String { side == 28 ? rawValue : "\(rawValue)-\(side)" }
}
