// libFuzzer target: the run-directory readers, the state.json decoder (NetworkRunRecord through
// JSONDecoder, as NetworkExpansion.resume reads it) and FrontFile.read(from:) (front.json).
// The first input byte selects the reader, the rest is the file. Every input must be rejected
// with a thrown error or decode to a value that encodes and decodes back to itself.
import FuzzSupport
import Expansion
import Foundation
import NetworkExpansion

let frontURL = URL(fileURLWithPath: NSTemporaryDirectory())
    .appendingPathComponent("paretokit-fuzz-\(getpid())-front.json")

func roundTrip<T: Codable & Equatable>(_ value: T) {
    do {
        let again = try JSONDecoder().decode(T.self, from: try JSONEncoder().encode(value))
        precondition(again == value, "\(T.self) JSON round trip changed the value")
    } catch {
        fatalError("the encoding of a decoded \(T.self) was not decodable: \(error)")
    }
}

runLibFuzzer { bytes in
    guard let selector = bytes.first else { return }
    let file = Data(bytes.dropFirst())
    if selector & 1 == 0 {
        if let record = try? JSONDecoder().decode(NetworkRunRecord.self, from: file) { roundTrip(record) }
    } else {
        do {
            try file.write(to: frontURL)
        } catch {
            fatalError("cannot write \(frontURL.path): \(error)")
        }
        do {
            roundTrip(try FrontFile.read(from: frontURL))
        } catch is FrontFileError {
        } catch {
            fatalError("FrontFile.read threw a foreign error: \(error)")
        }
    }
}
