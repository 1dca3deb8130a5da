import Foundation
import Testing
import DPLLang
@testable import DPLRuntime

/// `attack … target=…` end to end on the fixture's two-class dataset and a classifier
/// trained on it.
@Suite("attack stage: targeted attacks", .serialized)
struct AttackStageTests {
    let fixture: ScriptFixture

    init() throws {
        fixture = try ScriptFixture.withClassifier()
    }

    /// The `results` objects of a JSON file `save` wrote.
    func savedResults(_ name: String) throws -> [[String: Any]] {
        let data = try Data(contentsOf: URL(fileURLWithPath: fixture.folder + "/" + name))
        let document = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        return try #require(document["results"] as? [[String: Any]])
    }

    @Test func aFixedTargetSkipsSamplesOfThatClassAndReportsTheTargetedSuccess() throws {
        let result = fixture.run("""
        load images path="$DIR/images" | attack pgd eps=0.5 steps=10 target=0 | classify model="$DIR/cnn.safetensors" | report | save "$DIR/t.json"
        """)
        #expect(result.error == nil, "\(result.error ?? "")")
        #expect(result.output.contains("target=0"), "\(result.output)")
        #expect(result.output.contains("targeted success"), "\(result.output)")
        let row = try #require(try savedResults("t.json").first)
        #expect(row["target_rule"] as? String == "target=0")
        #expect(row["targeted_success"] != nil)
        let samples = try #require(row["samples"] as? [[String: Any]])
        #expect(samples.count == 16)
        for sample in samples {
            let label = try #require(sample["label"] as? Int)
            if label == 0 { #expect(sample["target"] is NSNull, "a sample labelled with the target is not attacked") }
            else { #expect(sample["target"] as? Int == 0) }
        }
    }

    @Test(arguments: ["random", "least-likely"])
    func keyedAndLeastLikelyTargetsAreNeverTheLabel(rule: String) throws {
        let result = fixture.run("""
        load images path="$DIR/images" | attack fgsm eps=0.1 target=\(rule) | classify model="$DIR/cnn.safetensors" | save "$DIR/\(rule).json"
        """)
        #expect(result.error == nil, "\(result.error ?? "")")
        let row = try #require(try savedResults("\(rule).json").first)
        #expect(row["target_rule"] as? String == "target=\(rule)")
        let samples = try #require(row["samples"] as? [[String: Any]])
        #expect(samples.count == 16)
        for sample in samples {
            // The trained classifier has 10 outputs (train keeps cnn-small's 10 classes).
            let target = try #require(sample["target"] as? Int)
            #expect(target != sample["label"] as? Int && (0..<10).contains(target))
        }
    }

    @Test func badTargetsAreClearErrors() throws {
        let outside = fixture.run("""
        load images path="$DIR/images" n=4 | attack fgsm target=10 | classify model="$DIR/cnn.safetensors"
        """)
        #expect(outside.error?.contains("0 to 9") == true, "\(outside.error ?? "no error")")
        let negative = fixture.run("""
        load images path="$DIR/images" n=4 | attack fgsm target=-1 | classify model="$DIR/cnn.safetensors"
        """)
        #expect(negative.error != nil)
        let onlyLabel = fixture.run("""
        load images path="$DIR/images" n=4 | attack fgsm target=0 | classify model="$DIR/cnn.safetensors"
        """)
        #expect(onlyLabel.error?.contains("nothing to attack") == true, "\(onlyLabel.error ?? "no error")")
    }
}
