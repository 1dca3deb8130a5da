import Testing
import DPLTensor
@testable import DPLData

@Suite("ImageGrid")
struct ImageGridTests {
    @Test("images land in their cells with padding around them")
    func layout() throws {
        // Three 1×1×2 gray images, 2 columns, padding 1 of colour 0.5.
        let images = try Tensor(shape: [3, 1, 1, 2], scalars: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6])
        let grid = try ImageGrid(columns: 2, padding: 1, paddingColour: [0.9]).render(images)
        #expect(grid.shape == [1, 5, 7])
        let p: Float = 0.9
        #expect(grid.scalars == [
            p, p, p, p, p, p, p,
            p, 0.1, 0.2, p, 0.3, 0.4, p,
            p, p, p, p, p, p, p,
            p, 0.5, 0.6, p, p, p, p,
            p, p, p, p, p, p, p,
        ])
    }

    @Test("each group starts a new row; per-channel padding colour")
    func groups() throws {
        let clean = Tensor(repeating: 0, shape: [2, 3, 1, 1])
        let adversarial = Tensor(repeating: 1, shape: [1, 3, 1, 1])
        let grid = try ImageGrid(columns: 2, padding: 0, paddingColour: [0.2, 0.3, 0.4]).render(rowsOf: [clean, adversarial])
        #expect(grid.shape == [3, 2, 2])
        #expect(grid.scalars == [0, 0, 1, 0.2, 0, 0, 1, 0.3, 0, 0, 1, 0.4])
    }

    @Test("bad inputs are rejected")
    func errors() {
        let images = Tensor.zeros([2, 3, 4, 4])
        #expect(dataError { _ = try ImageGrid(columns: 0).render(images) } != nil)
        #expect(dataError { _ = try ImageGrid(columns: 2, paddingColour: [0, 0]).render(images) } != nil)
        #expect(dataError { _ = try ImageGrid(columns: 2).render(rowsOf: [images, Tensor.zeros([1, 1, 4, 4])]) }?.description.contains("[1, 1, 4, 4]") == true)
    }

    @Test("write produces a PNG that decodes to the rendered grid")
    func write() throws {
        let folder = try TemporaryFolder()
        let path = folder.file("grid.png")
        let images = try Tensor(shape: [3, 3, 2, 2], scalars: patternBytes(36).map { Float($0) / 255 })
        let grid = ImageGrid(columns: 2, padding: 1)
        try grid.write(images, to: path)
        let decoded = try PNGDecoder.read(path)
        #expect(decoded.tensor.shape == [3, 7, 7])
        #expect(try decoded.pixels == grid.render(images).scalars)
    }
}
