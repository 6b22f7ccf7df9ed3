#ifndef RAFTCHECK_PREFETCH_H
#define RAFTCHECK_PREFETCH_H
// Asks the CPU to bring the cache line at `address` in, for a read soon. Only a hint: it never
// faults, so `address` may be stale (memory since freed).
static inline void raftcheck_prefetch(const void *address) { __builtin_prefetch(address, 0, 3); }
#endif
