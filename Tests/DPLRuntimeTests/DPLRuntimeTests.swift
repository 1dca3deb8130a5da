// Tests for DPLRuntime; they mirror Sources/DPLRuntime/.
