/* cases.h - a fresh process per case.
 *
 * The protocol loop runs in the "protocol process", which never opens VFIO and never maps
 * anything in the arena. Each case runs in its own "case process", forked at `reset`: it opens
 * container, group and device, executes every `execute` batch of the case (forwarded over a
 * socketpair, one request line in, one reply line out) and exits at the next `reset` (the
 * protocol process closes its end of the socketpair, the case process closes its VFIO fds and
 * exits, the protocol process reaps it before forking the next one, so only one process holds
 * the group at a time). A fresh process per case means a fresh mm: pages a kernel bug leaves
 * pinned (T1-UNMAP-TOP / T1-CLOSE-RELEASE on virtio-iommu) stay charged to the dead case's mm
 * only, never to `locked_vm` of a later case. A case process that dies (signal, exit) is
 * answered with an `error` naming the signal, never with silence. */
#ifndef AGENT_CASES_H
#define AGENT_CASES_H

#include <stddef.h>

void cases_init(void); /* before the first case */

/* `reset`: ends the current case process (waits for it) and starts a new one; 0, or -1 and
 * the message of the error reply in err */
int case_reset(char *err, size_t n);

/* `execute` request `id`, as received (raw_line, NUL terminated): forwarded to the case
 * process (started first if there is none yet), its reply line relayed to the port, or an
 * error reply if it died or the case died earlier */
void case_execute(long long id, char *raw_line);

/* `bye`: ends the current case process */
void case_end(void);

/* "killed by signal 11 (Segmentation fault)", "exited with status 1", ... */
void describe_status(int st, char *m, size_t n);

#endif
