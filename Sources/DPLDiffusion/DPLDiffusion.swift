// DPLDiffusion: diffusion purification, the defense under study (see docs/purification.md).
//
// - Schedules/: the discrete DDPM schedule and its continuous VP-SDE view.
// - Randomness/: how every noise draw is keyed (seed modes, call counters, purposes).
// - Samplers/: forward noising and the reverse processes (DDPM, DDIM, reverse VP-SDE).
// - Denoisers/: the analytic ε-predictor for Gaussian data, the known answer the tests use.
// - Purification/: `Purifier`, which composes them with a gradient mode for attacks.
import DPLNN
