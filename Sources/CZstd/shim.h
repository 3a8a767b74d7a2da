#ifndef BANLI_CZSTD_SHIM_H
#define BANLI_CZSTD_SHIM_H
#include <zstd.h>
#include <zstd_errors.h>
#endif
