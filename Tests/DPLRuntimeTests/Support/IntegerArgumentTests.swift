import Foundation
import Testing
import DPLLang
@testable import DPLRuntime

/// Every integer argument is read exactly or refused with a range error (issue 17): integers
/// beyond 9e15 used to read as absent, so `n=99999999999999999999` loaded everything,
/// `steps=1e300` ran 10 steps, `target=1e300` ran random targets, `seed=1e300` ran `fixed`
/// and `set seed = 1e300` became 0, while `purify seed=-5` trapped.
@Suite struct IntegerArgumentTests {
    private let tooLarge = "must be a whole number from -9223372036854775808 to 9223372036854775807, but is 1e+300"

    private func checkError(_ source: String) throws -> String {
        let session = Session(registry: try BuiltinStages.makeRegistry()) { _ in }
        return session.check(SourceFile(name: "numbers.dpl", text: source + "\n")).errorText ?? ""
    }

    @Test func hugeIntegerArgumentsAreRangeErrors() throws {
        #expect(try checkError("load fashion-mnist n=1e300").contains("numbers.dpl:1:22: error: parameter `n` of `load` \(tooLarge)"))
        #expect(try checkError("load fashion-mnist n=4 | attack pgd steps=1e300 | classify")
            .contains("parameter `steps` of `attack` \(tooLarge)"))
        #expect(try checkError("load fashion-mnist n=4 | attack pgd target=1e300 | classify")
            .contains("parameter `target` of `attack` \(tooLarge)"))
        #expect(try checkError("load fashion-mnist n=4 | purify seed=1e300 | classify")
            .contains("parameter `seed` of `purify` \(tooLarge)"))
        #expect(try checkError("set seed = 1e300").contains("numbers.dpl:1:12: error: setting `seed` \(tooLarge)"))
    }

    @Test func aLiteralTooLongToHoldExactlyIsAnError() throws {
        #expect(try checkError("load fashion-mnist n=99999999999999999999").contains(
            "numbers.dpl:1:22: error: number `99999999999999999999` cannot be held exactly (whole numbers are exact up to 9007199254740992); write a smaller number"))
        #expect(try checkError("set seed = 9007199254740993").contains("cannot be held exactly"))
        #expect(try checkError("set seed = 9007199254740992").isEmpty)
        #expect(try checkError("set seed = 4611686018427387904").isEmpty)  // 2^62, exact
    }

    @Test func negativeSeedIsARangeErrorNotATrap() throws {
        #expect(try checkError("load fashion-mnist n=4 | purify seed=-5 | classify")
            .contains("parameter `seed` of `purify` must be at least 0, but is -5"))
        // Through a variable the checker cannot see; the interpreter refuses it before the stage runs.
        let session = Session(registry: try BuiltinStages.makeRegistry()) { _ in }
        let outcome = session.run(SourceFile(name: "numbers.dpl", text: "def p(s) = purify seed=s\nload fashion-mnist n=1 | p s=-5 | classify"))
        #expect(!outcome.succeeded)
        #expect(outcome.errorText?.contains("must be at least 0, but is -5") == true)
    }

    @Test func readerRefusesWhatIsNotAnExactInteger() throws {
        let reader = ArgumentReader(stage: "load", arguments: ["n": .number(1e300), "m": .number(7), "k": .none])
        #expect(throws: DPLRuntime.RuntimeError.self) { try reader.optionalInteger("n") }
        #expect(throws: DPLRuntime.RuntimeError.self) { try reader.integer("n") }
        #expect(try reader.optionalInteger("m") == 7)
        #expect(try reader.optionalInteger("k") == nil)
        #expect(try reader.optionalInteger("absent") == nil)
        #expect(Value.number(9.3e18).integerValue == nil)
        #expect(Value.number(-9.2e18).integerValue == -9_200_000_000_000_000_000)
    }
}
