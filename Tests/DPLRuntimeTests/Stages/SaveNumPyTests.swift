import Foundation
import Testing
import DPLData
import DPLLang
@testable import DPLRuntime

/// The first `python3` that imports NumPy — `$DPL_PYTHON`, then each on `PATH` (a pyenv or
/// venv shim before the system's), then /usr/bin; the NumPy read-back test is skipped (and
/// listed as skipped) without one.
enum NumPyAvailability {
    static let python: String? = {
        let environment = ProcessInfo.processInfo.environment
        let onPath = (environment["PATH"] ?? "").split(separator: ":").map { "\($0)/python3" }
        let candidates = [environment["DPL_PYTHON"]].compactMap { $0 } + onPath + ["/usr/bin/python3"]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) && (try? run($0, ["-c", "import numpy"]))?.status == 0 }
    }()
    static let present: Bool = python != nil

    static func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

/// `save "x.npz"` / `save "x.npy"`: a batch as NumPy arrays, the `.npy` choice checked before
/// running, and the files read by NumPy itself where it is installed.
@Suite("save as NumPy", .serialized)
struct SaveNumPyTests {
    let fixture: ScriptFixture

    init() throws { fixture = try ScriptFixture.withClassifier() }

    func checkError(_ source: String) throws -> String {
        let session = Session(registry: try BuiltinStages.makeRegistry()) { _ in }
        return session.check(SourceFile(name: "s.dpl", text: source + "\n")).errorText ?? ""
    }

    /// Runs the script that writes every file the tests read.
    func saveAll() throws {
        let result = fixture.run("""
        let data = load images path="$DIR/images" n=4
        data | save "$DIR/data.npy"
        data | attack pgd eps=8/255 steps=2 | purify t=5 sampler=ddim steps=1 seed=fixed size=model | classify model="$DIR/cnn.safetensors" | save "$DIR/batch.npz" | save "$DIR/batch.json"
        data | attack pgd eps=8/255 steps=2 | classify model="$DIR/cnn.safetensors" | save "$DIR/adversarial.npy" array=adversarial
        """)
        try #require(result.error == nil, "\(result.error ?? "")")
    }

    @Test func aDatasetNpyIsItsCleanImagesInNumPysLayout() throws {
        try saveAll()
        let dataset = try ImageFolder.load(path: fixture.folder + "/images").subset(offset: 0, count: 4)
        let expected = try NPYArray(shape: dataset.images.shape, elements: .float32(dataset.images.scalars)).encoded()
        #expect(try readFileBytes(fixture.folder + "/data.npy") == expected)
    }

    @Test func theNpzHoldsEverySnapshotLabelsAndIdsAsStoredNpyMembers() throws {
        try saveAll()
        let zip = try readFileBytes(fixture.folder + "/batch.npz")
        // Member names in order, from the local headers (stored: each header is followed by its bytes).
        var names: [String] = []
        var offset = 0
        while zip[offset..<(offset + 4)] == [0x50, 0x4B, 0x03, 0x04] {
            let size = (0..<4).reduce(0) { $0 | Int(zip[offset + 18 + $1]) << (8 * $1) }
            let nameLength = Int(zip[offset + 26]) | Int(zip[offset + 27]) << 8
            names.append(String(decoding: zip[(offset + 30)..<(offset + 30 + nameLength)], as: UTF8.self))
            #expect(Array(zip[(offset + 30 + nameLength)..<(offset + 36 + nameLength)]) == NPYArray.magic)
            offset += 30 + nameLength + size
        }
        #expect(names == ["clean.npy", "adversarial.npy", "purified.npy", "labels.npy", "sample_ids.npy", "provenance.npy"])
    }

    @Test func aNpyOfABatchMustSayWhichArrayBeforeRunning() throws {
        let text = try checkError("load fashion-mnist n=4 | attack pgd | classify | save \"a.npy\"")
        #expect(text.contains("s.dpl:1:55: error: a .npy file holds one array, but a batch may hold clean, adversarial and purified images"), "\(text)")
        #expect(text.contains("`save \"a.npy\" array=adversarial`") && text.contains("`save \"a.npz\"`"), "\(text)")
        #expect(try checkError("load fashion-mnist n=4 | save \"a.npy\"").isEmpty, "a dataset holds only clean images")
        #expect(try checkError("load fashion-mnist n=4 | attack pgd | classify | save \"a.npy\" array=purified").isEmpty)
        #expect(try checkError("load fashion-mnist n=4 | save \"a.npz\" array=clean").contains("`array=` chooses the one array of a .npy file; `a.npz` is not one"))
        #expect(try checkError("load fashion-mnist n=4 | save \"a.npy\" array=noisy").contains("parameter `array` of `save`"))
    }

    @Test func aMissingSnapshotIsARunErrorNamingWhatTheBatchHolds() throws {
        let result = fixture.run("""
        load images path="$DIR/images" n=2 | attack pgd steps=1 | classify model="$DIR/cnn.safetensors" | save "$DIR/p.npy" array=purified
        """)
        #expect(result.error?.contains("the batch holds no `purified` images; it holds `clean`, `adversarial`") == true, "\(result.error ?? "")")
    }

    @Test(.enabled(if: NumPyAvailability.present, "python3 with NumPy is not installed here"))
    func numpyLoadsWhatWasSaved() throws {
        try saveAll()
        let script = """
        import json, numpy as np, zipfile
        d = "\(fixture.folder)"
        z = np.load(d + "/batch.npz")
        assert z.files == ["clean", "adversarial", "purified", "labels", "sample_ids", "provenance"], z.files
        assert {f["role"] for f in json.loads(str(z["provenance"]))["files"]} == {"dataset", "weights"}, "provenance as in .safetensors"
        for k in ["clean", "adversarial", "purified"]:
            assert z[k].dtype == np.float32 and z[k].shape == (4, 1, 8, 8), (k, z[k].dtype, z[k].shape)
            assert 0 <= z[k].min() and z[k].max() <= 1
        assert z["labels"].dtype == np.int64 and z["sample_ids"].dtype == np.uint64
        assert abs(z["adversarial"] - z["clean"]).max() <= 8 / 255 + 1e-6
        rows = json.load(open(d + "/batch.json"))["results"][0]["samples"]
        assert [int(r["id"]) for r in rows] == z["sample_ids"].tolist(), "ids as in the results rows"
        assert [r["label"] for r in rows] == z["labels"].tolist()
        assert zipfile.ZipFile(d + "/batch.npz").testzip() is None, "every CRC matches"
        one = np.load(d + "/data.npy", mmap_mode="r")
        assert np.array_equal(one, z["clean"])
        adv = np.load(d + "/adversarial.npy")
        assert adv.shape == (4, 1, 8, 8) and adv.dtype == np.float32
        import io
        for f in ["/data.npy", "/adversarial.npy"]:
            b = io.BytesIO(); np.save(b, np.load(d + f))
            assert b.getvalue() == open(d + f, "rb").read(), f + " differs from numpy.save's bytes"
        print("ok")
        """
        let result = try NumPyAvailability.run(try #require(NumPyAvailability.python), ["-c", script])
        #expect(result.status == 0 && result.output.hasSuffix("ok\n"), "\(result.output)")
    }
}
