#ifndef RAFTCHECK_CXXHASH_SHIM_H
#define RAFTCHECK_CXXHASH_SHIM_H
// The system xxHash (libxxhash-dev); XXH3 is part of its stable API since 0.8.0.
#include <xxhash.h>
#endif
