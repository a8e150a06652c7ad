/// One named tensor of a safetensors file: dtype, shape and raw little-endian, row-major
/// (C order) bytes, as described in the huggingface/safetensors `README.md` ("Format").
///
/// The initializers guarantee `data.count == product(shape) × dtype.bitSize / 8`.
/// A shape of `[]` is a scalar (one element); a shape containing 0 has no data.
public struct SafetensorsTensor: Equatable, Sendable {
    /// Tensor name (the key in the JSON header).
    public let name: String
    /// Element type.
    public let dtype: SafetensorsDType
    /// Dimensions, outermost first.
    public let shape: [Int]
    /// Raw element bytes, little-endian, row-major.
    public let data: [UInt8]

    /// Creates a tensor from raw little-endian bytes.
    ///
    /// - Throws: `SafetensorsError.negativeDimension`, `.sizeOverflow`,
    ///   `.fractionalByteCount`, or `.sizeMismatch` when `data.count` is not
    ///   `product(shape) × dtype.bitSize / 8`.
    public init(name: String, dtype: SafetensorsDType, shape: [Int], data: [UInt8]) throws {
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw SafetensorsError.negativeDimension(tensor: name, shape: shape)
        }
        let expected = try Self.byteCount(name: name, dtype: dtype, shape: shape)
        guard expected == data.count else {
            throw SafetensorsError.sizeMismatch(
                tensor: name, dtype: dtype, shape: shape, expectedBytes: expected,
                actualBytes: data.count)
        }
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.data = data
    }

    /// Creates an `F32` tensor; each value is stored as the little-endian bytes of its
    /// bit pattern, so NaN payloads, −0.0 and subnormals survive unchanged.
    ///
    /// - Throws: `SafetensorsError.sizeMismatch` when `values.count ≠ product(shape)`,
    ///   `.negativeDimension`, `.sizeOverflow`.
    public init(name: String, shape: [Int], floats values: [Float]) throws {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(values.count * 4)
        for value in values {
            withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
        }
        try self.init(name: name, dtype: .f32, shape: shape, data: bytes)
    }

    /// Creates an `F64` tensor; each value is stored as the little-endian bytes of its
    /// bit pattern (bit-exact round trip).
    ///
    /// - Throws: `SafetensorsError.sizeMismatch` when `values.count ≠ product(shape)`,
    ///   `.negativeDimension`, `.sizeOverflow`.
    public init(name: String, shape: [Int], doubles values: [Double]) throws {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(values.count * 8)
        for value in values {
            withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
        }
        try self.init(name: name, dtype: .f64, shape: shape, data: bytes)
    }

    /// Number of elements, `product(shape)` (1 for a scalar).
    public var elementCount: Int {
        shape.reduce(1, *)
    }

    /// The elements as `Float`. Only exact conversions are allowed:
    /// `F32` (bit-exact), `F16` and `BF16` (exact widening; NaN payloads are kept in the
    /// high mantissa bits). Any other dtype, including `F64` (which would round), throws
    /// `SafetensorsError.unsupportedConversion`.
    public func floats() throws -> [Float] {
        switch dtype {
        case .f32:
            return decode(UInt32.self) { Float(bitPattern: $0) }
        case .f16:
            return decode(UInt16.self) { Float(bitPattern: Self.binary16ToBinary32Bits($0)) }
        case .bf16:
            return decode(UInt16.self) { Float(bitPattern: UInt32($0) << 16) }
        default:
            throw SafetensorsError.unsupportedConversion(tensor: name, dtype: dtype, target: "Float")
        }
    }

    /// The elements as `Double`. Only exact conversions are allowed:
    /// `F64` (bit-exact), `F32`, `F16` and `BF16` (exact widening; a NaN stays a NaN but
    /// its payload may be quieted by the hardware conversion). Integer, complex and 8-bit
    /// and smaller float dtypes throw `SafetensorsError.unsupportedConversion`.
    public func doubles() throws -> [Double] {
        switch dtype {
        case .f64:
            return decode(UInt64.self) { Double(bitPattern: $0) }
        case .f32, .f16, .bf16:
            return try floats().map { Double($0) }
        default:
            throw SafetensorsError.unsupportedConversion(tensor: name, dtype: dtype, target: "Double")
        }
    }

    /// Reads `data` as consecutive little-endian `Word`s and maps each through `transform`.
    private func decode<Word: FixedWidthInteger, Element>(
        _: Word.Type, _ transform: (Word) -> Element
    ) -> [Element] {
        let width = MemoryLayout<Word>.size
        return data.withUnsafeBytes { raw in
            (0..<(raw.count / width)).map { index in
                transform(Word(littleEndian: raw.loadUnaligned(fromByteOffset: index * width, as: Word.self)))
            }
        }
    }

    /// Bit pattern of the binary32 equal to the binary16 with bit pattern `half`
    /// (IEEE 754-2008 §3.4: sign, 5-bit exponent with bias 15, 10-bit fraction).
    /// Every binary16 value is exactly representable in binary32; subnormal halves are
    /// normalised, and infinities/NaNs keep their fraction bits (shifted left by 13).
    static func binary16ToBinary32Bits(_ half: UInt16) -> UInt32 {
        let sign = UInt32(half & 0x8000) << 16
        let exponent = UInt32(half >> 10) & 0x1F
        var fraction = UInt32(half & 0x03FF)
        switch exponent {
        case 0x1F:
            return sign | 0x7F80_0000 | (fraction << 13)
        case 0:
            guard fraction != 0 else { return sign }
            // Value = fraction · 2^−24; shift the leading one into the implicit-bit position.
            var unbiased: Int32 = -14
            while fraction & 0x0400 == 0 {
                fraction <<= 1
                unbiased -= 1
            }
            fraction &= 0x03FF
            return sign | (UInt32(unbiased + 127) << 23) | (fraction << 13)
        default:
            return sign | ((exponent + (127 - 15)) << 23) | (fraction << 13)
        }
    }

    /// `product(shape) × dtype.bitSize / 8`, with overflow and whole-byte checks.
    /// `shape` must already be known to be non-negative.
    static func byteCount(name: String, dtype: SafetensorsDType, shape: [Int]) throws -> Int {
        var elements = 1
        for dimension in shape {
            let (product, overflow) = elements.multipliedReportingOverflow(by: dimension)
            guard !overflow else { throw SafetensorsError.sizeOverflow(tensor: name, shape: shape) }
            elements = product
        }
        let (bits, overflow) = elements.multipliedReportingOverflow(by: dtype.bitSize)
        guard !overflow else { throw SafetensorsError.sizeOverflow(tensor: name, shape: shape) }
        guard bits % 8 == 0 else {
            throw SafetensorsError.fractionalByteCount(tensor: name, dtype: dtype, shape: shape)
        }
        return bits / 8
    }
}
