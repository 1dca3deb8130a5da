// Tests for DPLData; they mirror Sources/DPLData/.
