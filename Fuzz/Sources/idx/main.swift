// libFuzzer target: the IDX reader behind a gzip decoder, as `IDXFile.readImages(at:)` and
// `readLabels(at:)` read files. Inputs starting with the gzip magic number go through
// DataFile.gunzip; every input must be rejected with a DatasetError or parse to images / labels
// whose encoding is the decoded input itself.
import FuzzSupport
import Datasets

runLibFuzzer { raw in
    let bytes: [UInt8]
    do {
        bytes = DataFile.isGzip(raw) ? try DataFile.gunzip(raw, name: "fuzz") : raw
    } catch is DatasetError {
        return
    } catch {
        fatalError("DataFile.gunzip threw a foreign error: \(error)")
    }
    do {
        let images = try IDXFile.parseImages(bytes, name: "fuzz")
        precondition(IDXFile.encode(images) == bytes, "IDX image round trip changed the bytes")
    } catch is DatasetError {
    } catch {
        fatalError("IDXFile.parseImages threw a foreign error: \(error)")
    }
    do {
        let labels = try IDXFile.parseLabels(bytes, name: "fuzz")
        precondition(IDXFile.encode(labels: labels) == bytes, "IDX label round trip changed the bytes")
    } catch is DatasetError {
    } catch {
        fatalError("IDXFile.parseLabels threw a foreign error: \(error)")
    }
}
