// Tests for DPLLang; they mirror Sources/DPLLang/.
