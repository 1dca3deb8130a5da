/// One named benchmark: how to prepare its inputs (not timed) and the work to time.
///
/// `prepare` builds the inputs and returns the closure that is timed, so allocation of inputs
/// and autodiff graphs built for a backward benchmark stay out of the measurement.
struct Workload {
    /// A unique name, `family_shape_variant` (e.g. `conv2d_32to64_28x28_b128_forward`);
    /// `--filter` matches substrings of it.
    let name: String
    /// Floating-point operations per run, when meaningful; the table then shows GFLOP/s.
    let flops: Double?
    /// Builds the inputs and returns the timed body.
    let prepare: () throws -> () throws -> Void

    init(_ name: String, flops: Double? = nil, prepare: @escaping () throws -> () throws -> Void) {
        self.name = name
        self.flops = flops
        self.prepare = prepare
    }
}
