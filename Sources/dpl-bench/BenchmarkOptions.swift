// MARK: - Command line

/// What `dpl-bench` was asked to do.
struct BenchmarkOptions {
    /// Only workloads whose name contains this substring run.
    var filter: String?
    /// Timed runs per workload (after one untimed warm-up run).
    var repeats = 5
    /// Untimed runs before the timed ones (0 for workloads that take minutes per run).
    var warmups = 1
    /// The engine thread count; nil keeps the default (all cores).
    var threads: Int?
    /// Print one JSON object instead of the table.
    var json = false
    /// Print the workload names and exit.
    var list = false

    static let usage = """
        usage: dpl-bench [--filter SUBSTRING] [--repeats N] [--warmup N] [--threads N] [--json] [--list]

        Runs the named workloads and reports the median seconds over N timed runs, after one
        warm-up run (--warmup 0 skips it). Progress goes to stderr; the table (or with --json, one JSON object
        {"workload": median_seconds, ...}) goes to stdout.
        """

    /// Parses the arguments after the program name.
    /// - Throws: `BenchmarkError` naming the bad argument.
    init(arguments: [String]) throws {
        var remaining = arguments[...]
        func value(for flag: String) throws -> String {
            guard let next = remaining.popFirst() else { throw BenchmarkError("\(flag) needs a value; see --help") }
            return next
        }
        func positiveInteger(for flag: String) throws -> Int {
            let text = try value(for: flag)
            guard let number = Int(text), number >= 1 else {
                throw BenchmarkError("\(flag) needs a whole number of at least 1, not '\(text)'")
            }
            return number
        }
        while let argument = remaining.popFirst() {
            switch argument {
            case "--filter": filter = try value(for: argument)
            case "--repeats": repeats = try positiveInteger(for: argument)
            case "--warmup":
                let text = try value(for: argument)
                guard let number = Int(text), number >= 0 else {
                    throw BenchmarkError("--warmup needs a whole number of at least 0, not '\(text)'")
                }
                warmups = number
            case "--threads": threads = try positiveInteger(for: argument)
            case "--json": json = true
            case "--list": list = true
            case "--help", "-h": throw BenchmarkError(Self.usage, isHelp: true)
            default: throw BenchmarkError("unknown argument '\(argument)'; see --help")
            }
        }
    }
}

/// A problem with the command line or the registry, reported as one line on stderr.
struct BenchmarkError: Error {
    let message: String
    /// `--help` is reported like an error (it stops the run) but exits successfully.
    let isHelp: Bool

    init(_ message: String, isHelp: Bool = false) {
        self.message = message
        self.isHelp = isHelp
    }
}
