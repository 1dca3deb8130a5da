// Tests for DPLNN; they mirror Sources/DPLNN/.
