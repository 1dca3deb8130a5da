// Everything CDPLKernels offers to Swift (the target's umbrella header: an explicit list, so a
// new header is seen by incremental builds, which an umbrella directory's module cache is not).
#pragma once

#include "activations.h"
#include "col2im.h"
#include "convolution.h"
#include "cpu_features.h"
#include "normalization.h"
#include "upsampling.h"
#include "winograd.h"
