// Tests for DPLAttacks; they mirror Sources/DPLAttacks/.
