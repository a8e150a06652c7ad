// The Training module. See docs/architecture.md.
