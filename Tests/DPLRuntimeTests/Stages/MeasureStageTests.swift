import Foundation
import Testing
import DPLLang
@testable import DPLRuntime

/// `measure distance|spread|compression` end to end on the fixture's tiny dataset and models.
@Suite("measure stage", .serialized)
struct MeasureStageTests {
    let fixture: ScriptFixture
    static let models = """
    set classifier = "$DIR/cnn.safetensors"
    set diffusion = "$DIR/unet.safetensors"

    """

    init() throws { fixture = try ScriptFixture.trained() }

    /// The `results` objects of a JSON file `save` wrote.
    func savedResults(_ name: String) throws -> [[String: Any]] {
        let data = try Data(contentsOf: URL(fileURLWithPath: fixture.folder + "/" + name))
        let document = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        return try #require(document["results"] as? [[String: Any]])
    }

    @Test func distanceComparesAdversarialAndPurifiedInOneRow() throws {
        let result = fixture.run(Self.models + """
        load images path="$DIR/images" | attack pgd eps=0.1 steps=2 | purify t=5 seed=fixed | classify | measure distance from=clean to=[adversarial, purified] p=inf | save "$DIR/d.json"
        """)
        #expect(result.error == nil, "\(result.error ?? "")")
        #expect(result.output.contains("robust accuracy"), "a measurement after an attack keeps its accuracy: \(result.output)")
        let row = try #require(try savedResults("d.json").first)
        let measurements = try #require(row["measurements"] as? [String: Double])
        let adversarialMax = try #require(measurements["linf_clean_adversarial_max"])
        #expect(adversarialMax > 0 && adversarialMax <= 0.1 + 1e-6, "the attack stays in its budget: \(adversarialMax)")
        #expect(measurements["linf_clean_purified_mean"] != nil && measurements["linf_clean_adversarial_median"] != nil)
        let samples = try #require(row["sample_measurements"] as? [[String: Any]])
        #expect(samples.count == 16)
        #expect(samples.allSatisfy { $0["linf_clean_purified"] is Double && $0["id"] is String })
    }

    @Test func distanceBeforeClassifyRunsThePendingPurification() {
        let result = fixture.run(Self.models + """
        load images path="$DIR/images" n=4 | purify t=5 | measure distance
        """)
        #expect(result.error == nil, "\(result.error ?? "")")
        #expect(result.output.contains("l2_clean_purified_mean"), "\(result.output)")
        #expect(result.output.contains("distance l2 clean→purified"))
    }

    @Test func missingSnapshotListsTheAvailableOnes() {
        let result = fixture.run(Self.models + """
        load images path="$DIR/images" n=4 | purify t=5 | classify | measure distance to=adversarial
        """)
        let error = result.error ?? ""
        #expect(error.contains("`adversarial`") && error.contains("clean, current, purified"), "\(error)")
        #expect(error.contains("attack"), "the hint names the stage that takes the snapshot: \(error)")
    }

    @Test func parametersOfAnotherAnalysisAreRefused() {
        let result = fixture.run(Self.models + """
        load images path="$DIR/images" n=4 | purify t=5 | measure distance draws=3
        """)
        #expect(result.error?.contains("takes no `draws=`") == true, "\(result.error ?? "no error")")
        let checked = fixture.session.check(SourceFile(name: "x.dpl", text: """
        load images path="/tmp" | purify t=5 | measure distance p=3
        """))
        #expect(checked.errorText?.contains("`p`") == true, "\(checked.errorText ?? "no error")")
        // Declared on the parameter (`appliesWhen`), so `dpl check` finds it before anything runs.
        let misapplied = fixture.session.check(SourceFile(name: "x.dpl", text: """
        load images path="/tmp" | purify t=5 | measure distance draws=3
        """))
        #expect(misapplied.errorText?.contains("1:57") == true, "\(misapplied.errorText ?? "no error")")
        #expect(misapplied.errorText?.contains("`measure distance` takes no `draws=`; it belongs to `measure spread`") == true)
    }

    @Test func spreadOfRandomPurificationIsPositiveAndOfFixedIsZero() throws {
        let result = fixture.run(Self.models + """
        load images path="$DIR/images" n=6 | purify t=5 seed=random | measure spread draws=3 | save "$DIR/random.json"
        load images path="$DIR/images" n=6 | purify t=5 seed=fixed | classify | measure spread draws=2 | save "$DIR/fixed.json"
        """)
        #expect(result.error == nil, "\(result.error ?? "")")
        let random = try #require(try savedResults("random.json").first?["measurements"] as? [String: Double])
        #expect((random["pixel_std_mean"] ?? 0) > 0)
        let agreement = try #require(random["agreement_mean"])
        #expect(agreement > 0 && agreement <= 1)
        #expect(random["entropy_max"].map { $0 >= 0 && $0 <= log2(3) + 1e-6 } == true)
        let fixed = try #require(try savedResults("fixed.json").first?["measurements"] as? [String: Double])
        #expect(fixed["pixel_std_max"] == 0 && fixed["agreement_mean"] == 1 && fixed["entropy_max"] == 0)
        #expect(result.output.contains("fixed randomness"), "a spread of a deterministic defense says why it is 0")
    }

    @Test func compressionOfRandomPairsAndOfAdversarialPairs() throws {
        let result = fixture.run(Self.models + """
        load images path="$DIR/images" n=4 | purify t=5 | measure compression radius=0.1 pairs=2 | save "$DIR/c.json"
        load images path="$DIR/images" n=4 | attack pgd eps=0.1 steps=2 | purify t=5 seed=7 | classify | measure compression radius=0.1 pairs=1 | save "$DIR/ca.json"
        """)
        #expect(result.error == nil, "\(result.error ?? "")")
        let plain = try #require(try savedResults("c.json").first?["measurements"] as? [String: Double])
        #expect((plain["compression_random_mean"] ?? 0) > 0)
        #expect(plain["compression_adversarial_mean"] == nil, "without an attack there are no adversarial pairs")
        let attacked = try #require(try savedResults("ca.json").first)
        let measurements = try #require(attacked["measurements"] as? [String: Double])
        #expect((measurements["compression_adversarial_mean"] ?? 0) > 0)
        #expect(measurements["compression_random_median"] != nil && measurements["compression_skipped"] != nil)
        #expect(attacked["robust_accuracy"] != nil)
    }

    @Test func compressionRefusesRandomizedPurification() {
        let result = fixture.run(Self.models + """
        load images path="$DIR/images" n=4 | purify t=5 seed=random | measure compression
        """)
        #expect(result.error?.contains("fixed randomness") == true, "\(result.error ?? "no error")")
        #expect(result.error?.contains("seed=fixed") == true)
    }

    @Test func measurementsNeedAPurification() {
        let result = fixture.run(Self.models + """
        load images path="$DIR/images" n=4 | classify | measure compression
        """)
        #expect(result.error?.contains("after `purify`") == true, "\(result.error ?? "no error")")
    }

    @Test func checkerAcceptsMeasureAfterPurifyAndAfterClassify() {
        for script in [
            "load images path=\"/tmp\" | attack pgd | purify t=100 seed=fixed | classify | measure distance from=clean to=purified",
            "load images path=\"/tmp\" | purify t=100 | measure compression",
            "load images path=\"/tmp\" | purify t=100 seed=random | measure spread draws=4",
        ] {
            let outcome = fixture.session.check(SourceFile(name: "x.dpl", text: script + "\n"))
            #expect(outcome.errorText == nil, "\(script): \(outcome.errorText ?? "")")
        }
    }

    @Test func sweepCollectsCompressionVersusTIntoOneTableCSVAndPlot() throws {
        let result = fixture.run(Self.models + """
        for t in [2, 4] {
          load images path="$DIR/images" n=4 | attack pgd eps=0.1 steps=1 | purify t=t | classify | measure compression radius=0.1 pairs=1 as "t={t}" x=t
        }
        results
        results | save "$DIR/sweep.csv"
        plot y=[robust_accuracy, compression_adversarial_mean] xlabel="t" "$DIR/sweep.svg"
        """)
        #expect(result.error == nil, "\(result.error ?? "")")
        let header = result.output.split(separator: "\n").first { $0.hasPrefix("result") } ?? ""
        #expect(header.contains("robust acc") && header.contains("compression_adversarial_mean"), "\(result.output)")
        #expect(result.output.contains("t=2") && result.output.contains("t=4"))

        let csv = try String(contentsOfFile: fixture.folder + "/sweep.csv", encoding: .utf8)
        let lines = csv.split(separator: "\n").filter { !$0.hasPrefix("#") }
        #expect(lines.first?.hasSuffix("compression_adversarial,compression_random") == true, "\(lines.first ?? "")")
        #expect(lines.count == 1 + 2 * 4, "a line per sample per row: \(csv)")

        let svg = try String(contentsOfFile: fixture.folder + "/sweep.svg", encoding: .utf8)
        #expect(svg.components(separatedBy: "<polyline").count - 1 == 2)
        #expect(svg.contains(">robust_accuracy</text>") && svg.contains(">compression_adversarial_mean</text>"))
        #expect(isWellFormedXML(svg), "the SVG is well-formed XML")
    }
}
