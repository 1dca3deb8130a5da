import Testing
import DPLTensor
@testable import DPLNN

@Suite("Module and Parameter")
struct ModuleTests {
    static let expectedNames = [
        "scale",
        "down1.fc1.weight", "down1.fc1.bias", "down1.fc2.weight", "down1.fc2.bias",
        "head.weight", "head.bias",
    ]

    @Test func stateDictNamesAreDottedPathsInDeclarationOrder() {
        let net = ExampleNet()
        #expect(net.stateDict().map(\.name) == ModuleTests.expectedNames)
        #expect(net.stateDict().map(\.tensor.shape) == [[], [4, 3], [4], [2, 4], [2], [1, 2], [1]])
        #expect(net.parameters().count == 7)
        #expect(net.stateDict().allSatisfy { !$0.tensor.requiresGrad })
    }

    @Test func loadStateDictRoundTripsAndKeepsParameterIdentity() throws {
        let source = ExampleNet(), target = ExampleNet()
        try source.down1.fc1.weight.assign(Tensor(shape: [4, 3], scalars: (0..<12).map(Float.init)))
        let leafBefore = target.down1.fc1.weight
        try target.loadStateDict(source.stateDict())
        #expect(target.down1.fc1.weight === leafBefore)
        #expect(target.down1.fc1.weight.value.scalars == (0..<12).map(Float.init))
        #expect(target.down1.fc1.weight.value.requiresGrad)
        // Gradients are still found through the same leaf after loading.
        let loss = try target.down1.fc1.weight.value.sum()
        let grad = try gradients(of: loss, wrt: [target.down1.fc1.weight.value])[0]
        #expect(grad.scalars == [Float](repeating: 1, count: 12))
    }

    @Test func loadFromDictionary() throws {
        let net = ExampleNet()
        var state = Dictionary(uniqueKeysWithValues: net.stateDict().map { ($0.name, $0.tensor) })
        state["scale"] = Tensor(7)
        try net.loadStateDict(state)
        #expect(net.scale.value.scalars == [7])
    }

    @Test func loadReportsMissingUnexpectedAndWrongShapesTogetherAndChangesNothing() throws {
        let net = ExampleNet()
        var state = net.stateDict().filter { $0.name != "head.bias" }
        state = state.map { $0.name == "down1.fc2.weight" ? ($0.name, Tensor.zeros([4, 2])) : ($0.name, Tensor.zeros($0.tensor.shape)) }
        state.append(("down1.fc3.weight", .zeros([1])))
        let error = #expect(throws: StateDictError.self) { try net.loadStateDict(state) }
        #expect(error?.missing == ["head.bias"])
        #expect(error?.unexpected == ["down1.fc3.weight"])
        #expect(error?.wrongShapes == [.init(name: "down1.fc2.weight", expected: [2, 4], found: [4, 2])])
        let message = error?.description ?? ""
        #expect(message.contains("missing tensor \"head.bias\""))
        #expect(message.contains("unexpected tensor \"down1.fc3.weight\""))
        #expect(message.contains("[4, 2]") && message.contains("[2, 4]"))
        // All or nothing: nothing was zeroed.
        #expect(net.scale.value.scalars == [3])
    }

    @Test func loadRejectsDuplicateNames() {
        let net = ExampleNet()
        let state = net.stateDict() + [("scale", Tensor(1))]
        let error = #expect(throws: StateDictError.self) { try net.loadStateDict(state) }
        #expect(error?.duplicate == ["scale"])
    }

    @Test func parameterIsHashableByIdentity() throws {
        let a = Parameter(.zeros([2])), b = Parameter(.zeros([2]))
        #expect(a != b)
        #expect(Set([a, a, b]).count == 2)
        #expect(throws: TensorError.self) { try a.assign(.zeros([3])) }
    }
}
