/* frames.c - tokens stored per frame, in a hash map holding only frames that were written.
 *
 * Memory is sparse (a mapping may span 2^46 bytes), so nothing here is per page of a range:
 * an unwritten frame simply has no entry and reads as 0, as fresh anonymous memory does.
 */
#include "frames.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

struct slot {
	struct frame frame; /* object 0 marks an empty slot */
	uint64_t token;
};

static struct slot *slots;
static size_t capacity; /* a power of two, or 0 */
static size_t used;
static uint64_t last_object;

uint64_t frames_new_object(void) { return ++last_object; }

static size_t hash(struct frame f)
{
	uint64_t h = f.object * 0x9e3779b97f4a7c15ull ^ f.page * 0xc2b2ae3d27d4eb4full;
	return (size_t)(h ^ h >> 29);
}

/* The slot holding `f`, or the empty slot where it would go. */
static struct slot *lookup(struct frame f)
{
	for (size_t i = hash(f) & (capacity - 1);; i = (i + 1) & (capacity - 1)) {
		struct slot *s = &slots[i];
		if (s->frame.object == 0 || (s->frame.object == f.object && s->frame.page == f.page))
			return s;
	}
}

uint64_t frames_get(struct frame f)
{
	if (capacity == 0)
		return 0;
	struct slot *s = lookup(f);
	return s->frame.object ? s->token : 0;
}

static void grow(void)
{
	struct slot *old = slots;
	size_t old_capacity = capacity;
	capacity = capacity ? capacity * 2 : 64;
	slots = xrealloc(NULL, capacity * sizeof *slots);
	memset(slots, 0, capacity * sizeof *slots);
	for (size_t i = 0; i < old_capacity; i++)
		if (old[i].frame.object)
			*lookup(old[i].frame) = old[i];
	free(old);
}

void frames_set(struct frame f, uint64_t token)
{
	if (2 * (used + 1) > capacity) /* keep the table at most half full */
		grow();
	struct slot *s = lookup(f);
	if (s->frame.object == 0) {
		s->frame = f;
		used++;
	}
	s->token = token;
}

void frames_reset(void)
{
	free(slots);
	slots = NULL;
	capacity = used = 0;
	last_object = 0;
}
