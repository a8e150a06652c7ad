// The Safetensors module. See docs/architecture.md.
