import DPLTensor
import Foundation

// dpl-bench: times the engine's named workloads (see WorkloadRegistry.swift).

func runBenchmarks() throws {
    let options = try BenchmarkOptions(arguments: Array(CommandLine.arguments.dropFirst()))
    let names = WorkloadRegistry.all.map(\.name)
    if let duplicate = names.first(where: { name in names.filter { $0 == name }.count > 1 }) {
        throw BenchmarkError("workload name '\(duplicate)' is registered twice; rename one in its family's file")
    }
    let selected = WorkloadRegistry.all.filter { options.filter.map($0.name.contains) ?? true }
    if options.list {
        print(selected.map(\.name).joined(separator: "\n"))
        return
    }
    guard !selected.isEmpty else {
        throw BenchmarkError("no workload name contains '\(options.filter ?? "")'; run with --list to see them")
    }
    if let threads = options.threads { EngineThreads.count = threads }
    let results = try BenchmarkRunner(repeats: options.repeats, warmups: options.warmups).run(selected)
    print(options.json ? BenchmarkReport.json(results)
                       : BenchmarkReport.table(results, threads: EngineThreads.count, repeats: options.repeats,
                                                    warmups: options.warmups))
}

// The same kernels `dpl` runs with (BLASKernel.swift).
BLASKernel.selectFasterKernel()
// The allocator settings `dpl` runs with (EngineMemory.swift).
EngineMemory.keepFreedBuffers()
do {
    try runBenchmarks()
} catch let error as BenchmarkError {
    if error.isHelp {
        print(error.message)
    } else {
        progress("dpl-bench: \(error.message)")
        exit(2)
    }
} catch {
    progress("dpl-bench: \(error)")
    exit(1)
}
