// The Datasets module. See docs/architecture.md.
