/* cases.c - the case processes: forked at reset, fed the case's execute requests, reaped. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cases.h"
#include "host.h"
#include "json.h"
#include "mmio.h"
#include "ops.h"
#include "protocol.h"
#include "scratch.h"
#include "stage.h"
#include "util.h"
#include "container.h"

static char *ch_buf; /* line buffers (heap, outside the arena) */
static size_t ch_cap;
static char *rl_buf; /* reply line from the case process */
static size_t rl_cap;

void cases_init(void)
{
	ch_cap = rl_cap = 1 << 16;
	ch_buf = malloc(ch_cap);
	rl_buf = malloc(rl_cap);
	if (!ch_buf || !rl_buf) abort();
}

/* ---------------------------------------------------------------- the case process */

/* an `execute` request, in the case process; the reply goes to the socketpair */
static void case_run(char *line)
{
	jused = 0;
	jerr = NULL;
	char *p = line;
	J *req = jparse(&p);
	bad = NULL;
	long long id = req ? fnum(req, "id") : -1;
	J *ops = jget(req, "ops");
	if (!req || bad || !ops || ops->type != J_ARR) { reply_error(id, jerr ? jerr : "execute without id or ops"); return; }
	out_len = 0;
	emit("{\"id\":%lld,\"type\":\"results\",\"results\":[", id);
	int i = 0;
	for (J *op = ops->child; op; op = op->next, i++) {
		const char *fatal = NULL;
		if (i) emit(",");
		int more = 0;
		if (do_op(op, &more, &fatal) < 0) {
			char msg[256];
			snprintf(msg, sizeof msg, "op %d: %s", i, fatal ? fatal : "failed");
			logf_("%s", msg);
			reply_error(id, msg);
			return;
		}
		for (; more > 0; more--) op = op->next, i++;
	}
	stage_release(); /* the batch is over: the suite never sees the scratch mapped */
	emit("]}");
	send_line();
}


static void case_main(int sock)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	signal(SIGPIPE, SIG_DFL);
	port = sock;
	/* a new case: fresh container, empty arena, RLIMIT_MEMLOCK unlimited, no CAP_IPC_LOCK */
	if (case_open() < 0) {
		out_len = 0;
		emit("#fail container or iommufd setup failed (see the guest console)");
		send_line();
		case_close();
		_exit(1);
	}
	host_reset();
	if (vmlck_pages() != 0) logf_("case: VmLck is %ld pages at start", vmlck_pages());
	if (helper_start() < 0) {
		out_len = 0;
		emit("#fail cannot start the DMA scratch helper (see the guest console)");
		send_line();
		case_close();
		_exit(1);
	}
	out_len = 0;
	emit("#ok");
	send_line();
	size_t len = 0;
	for (;;) {
		if (len + 1 >= ch_cap) { ch_cap *= 2; ch_buf = realloc(ch_buf, ch_cap); if (!ch_buf) abort(); }
		ssize_t n = read(sock, ch_buf + len, ch_cap - 1 - len);
		if (n < 0 && errno == EINTR) continue;
		if (n <= 0) break; /* the protocol process ended the case */
		len += n;
		size_t start = 0;
		for (size_t i = 0; i < len; i++) {
			if (ch_buf[i] != '\n') continue;
			ch_buf[i] = 0;
			if (ch_buf[start]) case_run(ch_buf + start);
			start = i + 1;
		}
		memmove(ch_buf, ch_buf + start, len - start);
		len -= start;
	}
	helper_stop(); /* the scratch helper first: it holds the container or iommufd fd too */
	case_close(); /* close the kernel objects' fds before exiting */
	mmio_close();
	_exit(0);
}

/* ---------------------------------------------------------------- its protocol process side */

static pid_t child = -1;
static int case_dead; /* the case process died or was killed: refuse executes until reset */
static int child_sock = -1;

void describe_status(int st, char *m, size_t n)
{
	if (WIFSIGNALED(st)) snprintf(m, n, "killed by signal %d (%s)%s", WTERMSIG(st), strsignal(WTERMSIG(st)), WCOREDUMP(st) ? ", core dumped" : "");
	else if (WIFEXITED(st)) snprintf(m, n, "exited with status %d", WEXITSTATUS(st));
	else snprintf(m, n, "status 0x%x", st);
}

/* waits for the case process to exit; after `ms` milliseconds it is killed */
static int reap_child(int ms)
{
	int st = 0;
	for (int waited = 0;; waited += 10) {
		pid_t r = waitpid(child, &st, WNOHANG);
		if (r == child || (r < 0 && errno != EINTR)) break;
		if (waited >= ms) {
			logf_("case process %d did not exit within %d ms: SIGKILL", (int)child, ms);
			kill(child, SIGKILL);
			stats->child_killed++;
			while (waitpid(child, &st, 0) < 0 && errno == EINTR) {}
			break;
		}
		usleep(10000);
	}
	child = -1;
	return st;
}

static void end_child(void)
{
	if (child_sock >= 0) close(child_sock);
	child_sock = -1;
	if (child > 0) {
		int st = reap_child(10000);
		if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
			char m[128];
			describe_status(st, m, sizeof m);
			logf_("case process ended: %s", m);
		}
	}
}

/* reads one line from the case process into rl_buf; 0, or -1 on EOF/error/timeout */
static int child_line(int timeout_ms)
{
	size_t len = 0;
	for (;;) {
		if (len + 1 >= rl_cap) { rl_cap *= 2; rl_buf = realloc(rl_buf, rl_cap); if (!rl_buf) abort(); }
		struct pollfd pf = { child_sock, POLLIN, 0 };
		int pr = poll(&pf, 1, timeout_ms);
		if (pr < 0 && errno == EINTR) continue;
		if (pr == 0) { errno = ETIMEDOUT; return -1; }
		ssize_t n = read(child_sock, rl_buf + len, rl_cap - 1 - len);
		if (n < 0 && errno == EINTR) continue;
		if (n <= 0) { errno = n < 0 ? errno : EPIPE; return -1; }
		len += n;
		rl_buf[len] = 0;
		char *nl = memchr(rl_buf, '\n', len);
		if (nl) { *nl = 0; return 0; }
	}
}

/* the case process is gone or stuck: reap it and describe why, for an error reply */
static void child_failed(const char *when, char *m, size_t n)
{
	int e = errno;
	char st[128] = "";
	if (child > 0) {
		if (e == ETIMEDOUT) { kill(child, SIGKILL); stats->child_killed++; }
		describe_status(reap_child(e == ETIMEDOUT ? 0 : 5000), st, sizeof st);
	}
	if (child_sock >= 0) close(child_sock);
	child_sock = -1;
	child = -1;
	stats->crashes++;
	case_dead = 1;
	snprintf(m, n, "the case process %s %s: %s", e == ETIMEDOUT ? "did not answer" : "died", when,
		 e == ETIMEDOUT ? "killed after the agent's timeout" : st);
	logf_("%s", m);
}

#define CHILD_TIMEOUT_MS (20 * 60 * 1000) /* far beyond any batch; the suite's own timeout comes first */

static int start_child(char *err, size_t n)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) { snprintf(err, n, "socketpair: %s", strerror(errno)); return -1; }
	pid_t p = fork();
	if (p < 0) {
		snprintf(err, n, "fork: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (p == 0) {
		close(sv[0]);
		close(port);
		case_main(sv[1]);
	}
	close(sv[1]);
	child = p;
	child_sock = sv[0];
	stats->cases++;
	if (child_line(60000) < 0) { child_failed("while setting up the case", err, n); return -1; }
	if (strcmp(rl_buf, "#ok")) {
		snprintf(err, n, "reset: %s", !strncmp(rl_buf, "#fail ", 6) ? rl_buf + 6 : rl_buf);
		end_child();
		return -1;
	}
	return 0;
}

int case_reset(char *err, size_t n)
{
	end_child();
	case_dead = 0;
	return start_child(err, n);
}

void case_execute(long long id, char *raw_line)
{
	char err[512];
	if (child < 0 && case_dead) {
		reply_error(id, "the case process of this case died earlier (see the previous error); send reset");
		return;
	}
	if (child < 0) {
		/* execute before the first reset: start a case */
		if (start_child(err, sizeof err) < 0) { reply_error(id, err); return; }
	}
	/* forward the request verbatim (jparse unescaped strings in place: use the raw copy) */
	size_t l = strlen(raw_line);
	raw_line[l] = '\n';
	size_t off = 0;
	int wfail = 0;
	while (off < l + 1) {
		ssize_t n = write(child_sock, raw_line + off, l + 1 - off);
		if (n < 0 && errno == EINTR) continue;
		if (n <= 0) { wfail = 1; break; }
		off += n;
	}
	raw_line[l] = 0;
	if (wfail || child_line(CHILD_TIMEOUT_MS) < 0) {
		child_failed("during this execute", err, sizeof err);
		reply_error(id, err);
		return;
	}
	out_len = 0;
	emit("%s", rl_buf);
	send_line();
}

void case_end(void)
{
	end_child();
}
