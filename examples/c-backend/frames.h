/* frames.h - physical frames and the 64-bit token each one holds in its first 8 bytes.
 *
 * A frame is named by the memory object it belongs to and its page index in that object, so
 * it keeps its identity wherever it is mapped: mremap moves a VMA's window onto the object,
 * and an IOMMU mapping remembers the frames it pinned even after the VMA is gone.
 */
#ifndef FRAMES_H
#define FRAMES_H

#include <stdint.h>

#define PAGE_SIZE 0x1000ull

struct frame {
	uint64_t object; /* memory object id, never 0 */
	uint64_t page;   /* page index inside the object */
};

/* A fresh memory object id: every mmap gets one, so new memory never reuses old frames. */
uint64_t frames_new_object(void);

/* The token in `f` (0 for memory never written) and storing one. */
uint64_t frames_get(struct frame f);
void frames_set(struct frame f, uint64_t token);

/* Forget every object and token (a new test case). */
void frames_reset(void);

#endif
