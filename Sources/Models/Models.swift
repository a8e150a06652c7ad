// The Models module. See docs/architecture.md.
