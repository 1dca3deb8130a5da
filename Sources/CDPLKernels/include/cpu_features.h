// Which vector instruction sets DPL's own C kernels may use on this CPU.
//
// The package is compiled for baseline x86-64 (SSE2), so kernels that need wider vectors are
// compiled per function with `__attribute__((target(...)))` and chosen at run time from these
// answers; every such kernel keeps a portable path for CPUs (and non-x86 machines) without them.
#pragma once

#ifdef __cplusplus
extern "C" {
#endif

/// 1 when the CPU and the operating system support AVX-512 F, BW, DQ and VL (the set
/// OpenBLAS's SkylakeX kernels and DPL's AVX-512 kernels use), else 0. Always 0 off x86-64.
int dpl_cpu_has_avx512(void);

/// 1 when the CPU and the operating system support AVX2 and FMA, else 0. Always 0 off x86-64.
int dpl_cpu_has_avx2_fma(void);

#ifdef __cplusplus
}
#endif
