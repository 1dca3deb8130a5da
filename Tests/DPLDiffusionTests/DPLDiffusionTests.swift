// Tests for DPLDiffusion; they mirror Sources/DPLDiffusion/.
