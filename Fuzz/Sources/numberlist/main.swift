// libFuzzer target: the CLI's number-list parser (NumberList.parse, behind RealList). Every
// input must be rejected (nil) or give finite values whose canonical text parses back to them.
import FuzzSupport
import Expansion

runLibFuzzer { bytes in
    let text = String(decoding: bytes, as: UTF8.self)
    guard let values = NumberList.parse(text) else { return }
    precondition(!values.isEmpty && values.allSatisfy(\.isFinite), "accepted an empty or non-finite list")
    let canonical = NumberList.format(values)
    precondition(NumberList.parse(canonical) == values, "number-list round trip changed the values")
}
