// The Krylov module. See docs/architecture.md.
