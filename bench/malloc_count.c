// Counts heap allocations of a process (LD_PRELOAD), for the explorer benchmark: prints
// "malloc-count: N" on standard error at exit. Forwards to glibc's own allocator entry points.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

static unsigned long count;

static void counted(void) { __atomic_add_fetch(&count, 1, __ATOMIC_RELAXED); }

void *malloc(size_t size) { counted(); return __libc_malloc(size); }
void *calloc(size_t n, size_t size) { counted(); return __libc_calloc(n, size); }
void *realloc(void *p, size_t size) { counted(); return __libc_realloc(p, size); }
void *memalign(size_t alignment, size_t size) { counted(); return __libc_memalign(alignment, size); }
void *aligned_alloc(size_t alignment, size_t size) { counted(); return __libc_memalign(alignment, size); }

int posix_memalign(void **out, size_t alignment, size_t size) {
    counted();
    *out = __libc_memalign(alignment, size);
    return *out ? 0 : ENOMEM;
}

__attribute__((destructor)) static void report(void) {
    fprintf(stderr, "malloc-count: %lu\n", __atomic_load_n(&count, __ATOMIC_RELAXED));
}
