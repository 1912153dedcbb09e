/* faults.c - the IOMMU fault interrupt count, from per_cpu_count files kept open (faults.h). */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "faults.h"
#include "util.h"

#define MAX_LINES 8
static int count_fd[MAX_LINES];
static int nlines;
static int use_proc = 1; /* until faults_open has shown the sysfs counts agree */

/* Is this line a fault line? chip, name and actions as /proc/interrupts shows them; `last`
 * is the last action's name. */
static int is_fault_line(const char *text, const char *last)
{
	if (strstr(text, "dmar") || strstr(text, "DMAR")) return 1;
	if (!viommu_irq_name[0] || !last) return 0;
	/* the action name is "virtioN" (INTx) or "virtioN-<queue>" (MSI-X) */
	size_t l = strlen(viommu_irq_name);
	return !strncmp(last, viommu_irq_name, l) && (last[l] == 0 || last[l] == '-') && !strstr(last, "-request");
}

/* the sum of the numbers of a count list ("3,0\n" or "  3   0  ...") up to the first word */
static uint64_t sum_counts(const char *p)
{
	uint64_t sum = 0;
	for (;;) {
		while (*p == ' ' || *p == ',') p++;
		if (!isdigit((unsigned char)*p)) return sum;
		sum += strtoull(p, (char **)&p, 10);
	}
}

static uint64_t proc_fault_irqs(void)
{
	static char buf[65536];
	if (read_file("/proc/interrupts", buf, sizeof buf) < 0) return 0;
	uint64_t sum = 0;
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		char *w = strrchr(line, ' ');
		if (!is_fault_line(line, w ? w + 1 : NULL)) continue;
		char *p = strchr(line, ':');
		if (p) sum += sum_counts(p + 1);
	}
	return sum;
}

static uint64_t sysfs_fault_irqs(void)
{
	uint64_t sum = 0;
	for (int i = 0; i < nlines; i++) {
		char b[512];
		ssize_t n = pread(count_fd[i], b, sizeof b - 1, 0);
		if (n <= 0) continue;
		b[n] = 0;
		sum += sum_counts(b);
	}
	return sum;
}

uint64_t fault_irqs(void)
{
	return use_proc ? proc_fault_irqs() : sysfs_fault_irqs();
}

/* /sys/kernel/irq/<irq>/<attr> without its newline, into b ("" if absent) */
static void irq_attr(const char *irq, const char *attr, char *b, size_t n)
{
	char p[300];
	snprintf(p, sizeof p, "/sys/kernel/irq/%.100s/%s", irq, attr);
	if (read_file(p, b, n) < 0) b[0] = 0;
	b[strcspn(b, "\n")] = 0;
}

void faults_open(void)
{
	DIR *d = opendir("/sys/kernel/irq");
	struct dirent *e;
	char found[256] = "";
	while (d && (e = readdir(d)) && nlines < MAX_LINES) {
		if (!isdigit((unsigned char)e->d_name[0])) continue;
		char chip[128], name[128], actions[512], text[800], p[300];
		irq_attr(e->d_name, "chip_name", chip, sizeof chip);
		irq_attr(e->d_name, "name", name, sizeof name);
		irq_attr(e->d_name, "actions", actions, sizeof actions);
		snprintf(text, sizeof text, "%s %s %s", chip, name, actions);
		char *last = strrchr(actions, ',');
		if (!actions[0] || !is_fault_line(text, last ? last + 1 : actions)) continue;
		snprintf(p, sizeof p, "/sys/kernel/irq/%.100s/per_cpu_count", e->d_name);
		int fd = open(p, O_RDONLY | O_CLOEXEC);
		if (fd < 0) continue;
		count_fd[nlines++] = fd;
		snprintf(found + strlen(found), sizeof found - strlen(found), " %.20s(%.40s)", e->d_name, actions);
	}
	if (d) closedir(d);
	/* the same count from both sources, read back to back (retried: an interrupt may come
	 * between the reads) */
	for (int tries = 0; tries < 5 && nlines && use_proc; tries++) {
		uint64_t a = sysfs_fault_irqs(), b = proc_fault_irqs(), c = sysfs_fault_irqs();
		if (a == b && b == c) use_proc = 0;
	}
	logf_("fault irq lines:%s; counted from %s (%llu so far)", nlines ? found : " none",
	      use_proc ? "/proc/interrupts (the per_cpu_count files do not agree with it)" : "their per_cpu_count",
	      (unsigned long long)fault_irqs());
}
