import Testing
@testable import DPLLang

/// Names declared on a parameter (`Parameter.names`): the checker refuses any other with a
/// "did you mean", without knowing what the names mean.
@Suite struct NameVocabularyTests {
    let vocabulary = NameVocabulary(what: "a field of a row", reference: "docs/rows.md", families: [
        .names(["robust_accuracy", "n"]),
        .init([["l2", "linf"], ["clean", "purified"], ["mean", "max"]]),
    ])

    var parameter: Parameter {
        Parameter("y", .oneOf([.name, .list(.name)]), required: true, doc: "What to draw.", names: vocabulary)
    }

    @Test func familiesExpandToEveryCombination() {
        let family = vocabulary.families[1]
        #expect(family.names.count == 8)
        #expect(family.names.first == "l2_clean_mean" && family.names.last == "linf_purified_max")
        #expect(family.pattern == "{l2,linf}_{clean,purified}_{mean,max}")
        #expect(vocabulary.contains("linf_purified_mean") && vocabulary.contains("n"))
        #expect(!vocabulary.contains("l2_clean") && !vocabulary.contains("l2_purified_clean_mean"))
    }

    @Test func aNameOutsideTheVocabularyIsRefusedWithTheClosestName() {
        let typo = TypeRules.mismatch(.name("robust_acuracy"), for: parameter)
        #expect(typo?.reason == "names `robust_acuracy`, which is not a field of a row")
        #expect(typo?.fix == "did you mean `robust_accuracy`?")
        #expect(TypeRules.mismatch(.string("l2_clean_maen"), for: parameter)?.fix == "did you mean `l2_clean_mean`?")
        #expect(TypeRules.mismatch(.name("zzz"), for: parameter)?.fix == "the names are listed in docs/rows.md",
                "no close name: the message says where the list is")
    }

    @Test func everyElementOfAListIsChecked() {
        #expect(TypeRules.mismatch(.list([.name("n"), .name("linf_clean_max")]), for: parameter) == nil)
        #expect(TypeRules.mismatch(.list([.name("n"), .name("linf_clean_mx")]), for: parameter)?.fix == "did you mean `linf_clean_max`?")
    }

    @Test func namesKnownOnlyWhenRunningPass() {
        #expect(TypeRules.mismatch(.kind(.any), for: parameter) == nil, "a loop variable")
        #expect(TypeRules.mismatch(.string(nil), for: parameter) == nil, "an interpolated string")
        #expect(TypeRules.mismatch(.name("robust_accuracy"), for: parameter) == nil)
    }

    @Test func theTypeIsCheckedBeforeTheNames() {
        #expect(TypeRules.mismatch(.number(3), for: parameter)?.reason.hasPrefix("expects") == true)
    }
}
