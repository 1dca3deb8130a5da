/// `Float(byte) / 255` for every byte value: the exact quotient PyTorch's `ToTensor` gives,
/// which multiplying by `1 / 255` misses in the last bit for some bytes.
let unitFloatOfByte: [Float] = (0...255).map { Float($0) / 255 }
