// libFuzzer's driver entry point (compiler-rt, `FuzzerInterface.h`), linked in by
// `-sanitize=fuzzer`. The targets call it from their own `main`, because SwiftPM gives every
// executable its own entry point (so libFuzzer's `main` is never used).
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
