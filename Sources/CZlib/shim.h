#ifndef BANLI_CZLIB_SHIM_H
#define BANLI_CZLIB_SHIM_H
#include <zlib.h>

/* deflateInit2 and inflateInit2 are macros, which Swift cannot call. 16 + 15: a gzip wrapper, a 32 KiB window. */
static inline int banli_deflate_init_gzip(z_stream *s, int level) {
    return deflateInit2(s, level, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY);
}
static inline int banli_inflate_init_gzip(z_stream *s) { return inflateInit2(s, 16 + 15); }
#endif
