// The MultiObjective module. See docs/architecture.md.
