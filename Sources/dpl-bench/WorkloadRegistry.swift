// MARK: - The one list of workloads
//
// Each family of workloads lives in its own file as a static list; add a family by appending
// its list here. Names must be unique (checked at start-up by `BenchmarkOptions`).

enum WorkloadRegistry {
    /// Every workload `dpl-bench` knows, in the order the table lists them.
    static let all: [Workload] = TensorWorkloads.all + ModelWorkloads.all + PurificationWorkloads.all + AttackWorkloads.all + ScoreModelWorkloads.all
}
