/* main.c - runs every case of the program in a process of its own, so that each starts with an
 * empty address space and zero locked_vm and pinned_vm, and what one leaks (a pin the kernel
 * never returns) is not charged to the next. */

static void usage(const char *argv0)
{
	fprintf(stderr, "usage: %s %s [--case NAME]\n", argv0, TARGET_USAGE);
}

int main(int argc, char **argv)
{
	const char *only = NULL;
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--case") && i + 1 < argc) only = argv[++i];
		else if (!strcmp(argv[i], "--help")) { usage(argv[0]); return 0; }
		else {
			int used = target_arg(argc - i, argv + i);
			if (used <= 0) { usage(argv[0]); return 2; }
			i += used - 1;
		}
	}
	if (target_missing()) { usage(argv[0]); return 2; }
	int worst = 0, ran = 0;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		if (only && strcmp(only, cases[i].name)) continue;
		ran++;
		fflush(stdout);
		pid_t pid = fork();
		if (pid < 0) { perror("fork"); return 2; }
		if (pid == 0) {
			case_name = cases[i].name;
			case_index = (int)i;
			_exit(cases[i].run());
		}
		int st = 0;
		waitpid(pid, &st, 0);
		int code = WIFEXITED(st) ? WEXITSTATUS(st) : 2;
		if (!WIFEXITED(st)) printf("repro: %s: cannot run: killed by signal %d\n", cases[i].name, WTERMSIG(st));
		printf("repro: %s: exit %d (%s)\n", cases[i].name, code,
		       code == 0 ? "every step as expected" : code == 1 ? "departs from the spec" : "not run to its end");
		/* a departure outweighs a case that could not run: it is the finding */
		if (code == 1 || (code == 2 && worst == 0)) worst = code;
	}
	if (!ran) { fprintf(stderr, "no case named %s\n", only); return 2; }
	return worst;
}
