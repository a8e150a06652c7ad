// libFuzzer target: the safetensors parser. Every input must either be rejected with a thrown
// SafetensorsError or parse to a file whose canonical serialization parses back to the same file.
import FuzzSupport
import Safetensors

runLibFuzzer { bytes in
    let file: SafetensorsFile
    do {
        file = try SafetensorsFile.parse(bytes)
    } catch is SafetensorsError {
        return
    } catch {
        fatalError("SafetensorsFile.parse threw a foreign error: \(error)")
    }
    do {
        let again = try SafetensorsFile.parse(file.serialized())
        precondition(again == file, "safetensors round trip changed the file")
    } catch {
        fatalError("the serialization of an accepted file was rejected: \(error)")
    }
}
