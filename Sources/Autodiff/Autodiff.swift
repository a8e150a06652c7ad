// The Autodiff module. See docs/architecture.md.
