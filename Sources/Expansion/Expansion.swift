// The Expansion module. See docs/architecture.md.
