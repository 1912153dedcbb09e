/* util.h - what every part of the agent uses: the arena and page constants, logging on the
 * guest console, reading small files, errno names, and the statistics the processes share. */
#ifndef AGENT_UTIL_H
#define AGENT_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* The suite's arena: far from the binary (0x400000), heap and mmap_base (0x7f...). */
#define ARENA_START 0x200000000000ULL
#define ARENA_SIZE (1ULL << 40)
#define PAGE 4096ULL
#define U64MAX 0xffffffffffffffffULL

/* "agent: ..." and a newline on stderr (the guest console) */
void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* CLOCK_MONOTONIC in seconds */
double now_s(void);

/* reads at most n - 1 bytes of `path` into buf, NUL terminated; the length, or -1 */
int read_file(const char *path, char *buf, size_t n);

/* "EFAULT" for EFAULT, ...; NULL for an errno the protocol has no name for */
const char *errno_name(int e);

/* Statistics, shared by the protocol process and every case process (a MAP_SHARED page that
 * main allocates before the first fork), logged on `bye`. */
struct shared_stats {
	uint64_t dma_ops, dma_faults, msi_refused, cases, crashes, child_killed, mmio_maps, dma_unbound, dma_unreachable;
};
extern struct shared_stats *stats;

#endif
