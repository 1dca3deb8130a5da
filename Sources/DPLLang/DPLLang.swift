// DPLLang: see docs/architecture.md for this module's role.
