// zlib (Debian: zlib1g-dev, pkg-config "zlib"), for gzip-compressed data files.
#include <zlib.h>
