/// DPLTensor: float32 tensors, their kernels, reverse-mode autodiff and counter-based random
/// numbers — the layer every other part of DPL's engine stands on.
///
/// Files by family: `Tensor.swift` (the value type), `Autodiff/` (graph nodes, the backward
/// pass, checkpointing), `Ops/` (differentiable ops, each with its backward rule beside its
/// forward code), `Kernels/` (raw loops and BLAS calls the ops use).
public enum DPLTensorLibrary {
    /// The library's version, reported by `dpl --version` and recorded in results.
    public static let version = "0.1.0"
}
