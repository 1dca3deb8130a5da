import Testing
import DPLTensor
@testable import DPLNN

/// FLOP counts against counts worked out by hand, layer by layer, as
/// `2 · output elements · in · kh · kw` per convolution and `2 · out · in` per linear layer.
@Suite("Model FLOPs")
struct ModelFlopsTests {
    /// A small CNN: conv3×3(3→4, pad 1) on 8×8 – maxpool2 – conv3×3(4→6, pad 1) on 4×4 – maxpool2 –
    /// linear(6·2·2 → 5) – linear(5 → 3).
    static let small = CNNClassifier.Configuration(inputChannels: 3, imageSize: 8, widths: [4, 6],
                                                   poolAfter: [true, true], hidden: 5, classes: 3)

    @Test func smallConvolutionalClassifierMatchesTheHandCount() throws {
        let conv1 = 2 * (4 * 8 * 8) * (3 * 3 * 3)      // 13,824
        let conv2 = 2 * (6 * 4 * 4) * (4 * 3 * 3)      // 6,912
        let fc1 = 2 * 5 * (6 * 2 * 2)                  // 240
        let fc2 = 2 * 3 * 5                            // 30
        let model = try CNNClassifier(Self.small, key: RandomKey(seed: 1, purpose: "test"))
        let counted = try ModelFlops.forward(of: model, imageShape: [3, 8, 8])
        #expect(counted == Double(conv1 + conv2 + fc1 + fc2))
    }

    @Test func cnnSmallMatchesTheHandCount() throws {
        // conv 1→32 at 28², conv 32→64 at 28², pool, conv 64→128 at 14², pool, 6272→256, 256→10.
        let macs = 28 * 28 * 32 * 1 * 9 + 28 * 28 * 64 * 32 * 9 + 14 * 14 * 128 * 64 * 9 + 6272 * 256 + 256 * 10
        #expect(try ModelFlops.forward(of: .cnn(.small), imageShape: [1, 28, 28]) == Double(2 * macs))
    }

    /// The PyTorch twin of `unet-tiny`, counted with forward hooks on every conv and linear
    /// layer (benchmarks/torch_reference_models.py), makes 17,099,784,192 FLOPs per 64 images.
    @Test func unetTinyMatchesThePyTorchTwinsCount() throws {
        #expect(try ModelFlops.forward(of: .unet(.tiny), imageShape: [1, 28, 28]) == 17_099_784_192.0 / 64)
    }

    @Test func countsAreLinearInTheBatch() throws {
        let model = try CNNClassifier(Self.small, key: RandomKey(seed: 1, purpose: "test"))
        let perImage = try ModelFlops.forward(of: model, imageShape: [3, 8, 8])
        let batch = Tensor.zeros([7, 3, 8, 8])
        let counted = try withoutGradients { try FlopCounter.counting { try model.logits(batch) }.flops }
        #expect(counted == 7 * perImage)
    }

    @Test func nothingIsCountedOutsideACountingBlock() throws {
        let model = try CNNClassifier(Self.small, key: RandomKey(seed: 1, purpose: "test"))
        let (_, outer) = try FlopCounter.counting {
            _ = try ModelFlops.forward(of: model, imageShape: [3, 8, 8])
        }
        // The inner block's products belong to the inner block only.
        #expect(outer == 0)
    }

    @Test func aModelThatCannotTakeTheShapeSaysSo() throws {
        let model = try CNNClassifier(Self.small, key: RandomKey(seed: 1, purpose: "test"))
        #expect(throws: (any Error).self) { try ModelFlops.forward(of: model, imageShape: [1, 8, 8]) }
    }
}
