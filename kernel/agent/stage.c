/* stage.c - the scratch kept reachable across a run of DMA observations (stage.h). */
#include <string.h>

#include "config.h"
#include "device.h"
#include "scratch.h"
#include "stage.h"
#include "util.h"

#define MAX_PAGES 64

static int staged;
/* the pages observed since the scratch was mapped, per direction (0 read, 1 write) */
static uint64_t seen[2][MAX_PAGES];
static int nseen[2];

static int begin(void) { return family_iommufd ? fd_stage_begin() : scratch_map(); }
static void end(void) { if (family_iommufd) fd_stage_end(); else scratch_unmap(); }

void stage_release(void)
{
	if (staged) end();
	staged = 0;
	nseen[0] = nseen[1] = 0;
}

void stage_before_op(const char *kind)
{
	if (strcmp(kind, "dmaRead") && strcmp(kind, "dmaWrite")) stage_release();
}

static int seen_in(int dir, uint64_t page)
{
	for (int i = 0; i < nseen[dir]; i++)
		if (seen[dir][i] == page) return 1;
	return 0;
}

static void note(int dir, uint64_t page)
{
	if (!seen_in(dir, page)) seen[dir][nseen[dir]++] = page;
}

int stage_for(uint64_t iova, int write)
{
	uint64_t first = iova / PAGE, last = (iova > U64MAX - 7 ? U64MAX : iova + 7) / PAGE;
	int other = !write;
	/* a page seen the other way round, or no room to remember two more: flush first */
	if (staged && (seen_in(other, first) || seen_in(other, last) || nseen[write] > MAX_PAGES - 2)) stage_release();
	if (!staged) {
		int s = begin();
		if (s != 0) {
			if (s < 0) end(); /* whatever part of the staging was done */
			return s;
		}
		staged = 1;
	}
	note(write, first);
	note(write, last);
	return 0;
}
