import DPLTensor
@testable import DPLNN

/// A tiny linear layer for the tests only (real layers live elsewhere): PyTorch's names and
/// layout, weight `[out, in]` and bias `[out]`.
final class ExampleLinear: Module {
    let weight: Parameter
    let bias: Parameter

    init(inputs: Int, outputs: Int, fill: Float) {
        weight = Parameter(Tensor(repeating: fill, shape: [outputs, inputs]))
        bias = Parameter(Tensor(repeating: -fill, shape: [outputs]))
    }

    var ownParameters: [(name: String, parameter: Parameter)] { [("weight", weight), ("bias", bias)] }
}

/// A block of two linear layers.
final class ExampleBlock: Module {
    let fc1 = ExampleLinear(inputs: 3, outputs: 4, fill: 1)
    let fc2 = ExampleLinear(inputs: 4, outputs: 2, fill: 2)

    var children: [(name: String, module: any Module)] { [("fc1", fc1), ("fc2", fc2)] }
}

/// A model with an own parameter and nested children: paths like `down1.fc1.weight`.
final class ExampleNet: Module {
    let scale = Parameter(Tensor(3))
    let down1 = ExampleBlock()
    let head = ExampleLinear(inputs: 2, outputs: 1, fill: 5)

    var ownParameters: [(name: String, parameter: Parameter)] { [("scale", scale)] }
    var children: [(name: String, module: any Module)] { [("down1", down1), ("head", head)] }
}
