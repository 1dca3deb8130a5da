// Tests for DPLREPL; they mirror Sources/DPLREPL/.
