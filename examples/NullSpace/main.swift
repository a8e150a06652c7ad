print("null-space example: see docs/network-expansion.md")
