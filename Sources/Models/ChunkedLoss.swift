import Autodiff
import LinearAlgebra

/// A loss averaged over a data set too large for one pass: `f(x) = Σ_c (n_c / N) f_c(x)`, where
/// `f_c` is the mean loss on chunk `c` of `n_c` images. Values, Jacobians, weighted gradients and
/// HVPs are the same weighted sums of the chunks' (sums in double precision). Each chunk's
/// function is made on demand by `make`, so memory holds one chunk at a time.
public struct ChunkedLoss<Scalar: BLASScalar>: DifferentiableVectorFunction {
    public let parameterCount: Int
    public let objectiveCount: Int
    /// Images per chunk.
    public let chunkSizes: [Int]
    private let make: (Int) throws -> any DifferentiableVectorFunction<Scalar>

    /// - Parameters:
    ///   - chunkSizes: `n_c` for each chunk (all positive).
    ///   - make: Builds the mean loss of chunk `c`.
    /// - Throws: ``ModelError`` if there are no chunks or a chunk is empty.
    public init(
        parameterCount: Int, objectiveCount: Int, chunkSizes: [Int],
        make: @escaping (Int) throws -> any DifferentiableVectorFunction<Scalar>
    ) throws {
        guard !chunkSizes.isEmpty, chunkSizes.allSatisfy({ $0 > 0 }) else {
            throw ModelError.inputShape(expected: [1], actual: chunkSizes)
        }
        self.parameterCount = parameterCount
        self.objectiveCount = objectiveCount
        self.chunkSizes = chunkSizes
        self.make = make
    }

    private var total: Double { Double(chunkSizes.reduce(0, +)) }

    /// `Σ_c (n_c/N) g(f_c)` for a per-chunk result `g`.
    private func average(_ body: (any DifferentiableVectorFunction<Scalar>) throws -> [[Double]]) throws -> [[Double]] {
        var sum: [[Double]] = []
        for (c, size) in chunkSizes.enumerated() {
            let parts = try body(try make(c))
            let weight = Double(size) / total
            if sum.isEmpty { sum = parts.map { $0.map { $0 * weight } } } else {
                for i in parts.indices { for j in parts[i].indices { sum[i][j] += weight * parts[i][j] } }
            }
        }
        return sum
    }

    private func narrow(_ values: [Double]) -> [Scalar] { values.map { Scalar($0) } }
    private func widen(_ values: [Scalar]) -> [Double] { values.map(Double.init) }

    public func values(at x: [Scalar]) throws -> [Scalar] {
        narrow(try average { [widen(try $0.values(at: x))] }[0])
    }

    public func valuesAndJacobian(at x: [Scalar]) throws -> (values: [Scalar], jacobian: [[Scalar]]) {
        let parts = try average { f in
            let (values, jacobian) = try f.valuesAndJacobian(at: x)
            return [widen(values)] + jacobian.map(widen)
        }
        return (narrow(parts[0]), parts.dropFirst().map(narrow))
    }

    public func valuesAndWeightedGradient(at x: [Scalar], weights: [Scalar]) throws -> (values: [Scalar], gradient: [Scalar]) {
        let parts = try average { f in
            let (values, gradient) = try f.valuesAndWeightedGradient(at: x, weights: weights)
            return [widen(values), widen(gradient)]
        }
        return (narrow(parts[0]), narrow(parts[1]))
    }

    public func hessianVectorProduct(at x: [Scalar], along v: [Scalar], weights: [Scalar]) throws -> HessianVectorProduct<Scalar> {
        let parts = try average { f in
            let result = try f.hessianVectorProduct(at: x, along: v, weights: weights)
            return [widen(result.values), widen(result.weightedGradient), widen(result.product)]
        }
        return HessianVectorProduct(values: narrow(parts[0]), weightedGradient: narrow(parts[1]), product: narrow(parts[2]))
    }
}

extension ChunkedLoss: PreparedHessianVectorProducts {
    /// A chunk's function as one that prepares points.
    /// - Throws: ``ModelError/notPreparable(_:)`` if it is not one.
    private func preparable(_ chunk: any DifferentiableVectorFunction<Scalar>) throws -> any PreparedHessianVectorProducts<Scalar> {
        guard let chunk = chunk as? any PreparedHessianVectorProducts<Scalar> else {
            throw ModelError.notPreparable("a chunk of type \(type(of: chunk))")
        }
        return chunk
    }

    /// Prepares every chunk at `(x, α)` (each chunk must prepare points, and `make` must return
    /// the same instance for a chunk every time); returns `f(x)` and `Σ αᵢ∇fᵢ(x)`.
    @discardableResult
    public func prepare(at x: [Scalar], weights: [Scalar]) throws -> (values: [Scalar], gradient: [Scalar]) {
        let parts = try average { chunk in
            let (values, gradient) = try preparable(chunk).prepare(at: x, weights: weights)
            return [widen(values), widen(gradient)]
        }
        return (narrow(parts[0]), narrow(parts[1]))
    }

    /// `Σ_c (n_c/N) H_c(α) v` at the prepared point of every chunk.
    public func hessianVectorProduct(along v: [Scalar]) throws -> [Scalar] {
        narrow(try average { chunk in [widen(try preparable(chunk).hessianVectorProduct(along: v))] }[0])
    }
}
