// DPL's own C kernels. Every header of include/ is listed here: an umbrella header (rather
// than SwiftPM's umbrella directory) makes an incremental build notice a header added later,
// which a cached umbrella-directory module does not.
#pragma once

#include "cpu_features.h"
#include "convolution.h"
