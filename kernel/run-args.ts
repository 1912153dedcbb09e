// The run options `npm run conform:kernel` gives `vfio-conform run`: a bounded run of 10 cases
// per property unless the user bounds it otherwise. `--duration` alone is a nightly run: a time
// budget per property with no cap on cases, so it must not meet a default `--runs`.

/** The default number of cases per property of a kernel run (a guest is slow: about a second
 * a case). */
export const KERNEL_DEFAULT_RUNS = 10;

const bounds = (a: string): boolean => /^--(runs|duration)(=|$)/.test(a);

/** `args` with `--runs 10` in front unless they say --runs or --duration themselves. */
export function kernelRunArgs(args: readonly string[]): string[] {
  return args.some(bounds) ? [...args] : ['--runs', String(KERNEL_DEFAULT_RUNS), ...args];
}
