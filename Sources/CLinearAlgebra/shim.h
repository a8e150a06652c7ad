// OpenBLAS's CBLAS interface (Debian: libopenblas-dev, pkg-config "openblas").
#include <cblas.h>
// Thread control, so results and timings do not depend on an accident of the environment.
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
