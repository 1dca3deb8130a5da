// OpenBLAS's CBLAS interface plus the thread-count control it exports.
#pragma once
#include <cblas.h>

// Declared by OpenBLAS (openblas_config.h / cblas.h on most builds); repeated here so the
// shim does not depend on which header variant the distribution installs.
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
