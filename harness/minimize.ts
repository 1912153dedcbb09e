// Second-stage shrinking on the concrete op list.
//
// fast-check shrinks the symbolic sequence; what it hands back still carries every probe and
// stamp the expansion added. This pass removes concrete operations, in ever smaller chunks,
// as long as the case still breaks the same rule: what is left is the handful of operations a
// developer needs to read. Each candidate is re-judged by the model, so removing an op also
// recomputes what every later op must answer.

export interface MinimizeOptions {
  /** When it returns true, the pass stops and returns the smallest failing case found so far. */
  interrupted?: () => boolean;
  /** Called after every candidate tried, with the current length. */
  onTry?: (tried: number, length: number) => void;
}

export async function minimizeOps<O>(ops: readonly O[], stillFails: (ops: readonly O[]) => Promise<boolean>, options: MinimizeOptions = {}): Promise<O[]> {
  let current = [...ops];
  let tried = 0;
  const attempt = async (candidate: O[]): Promise<boolean> => {
    if (candidate.length === 0 || options.interrupted?.()) return false;
    const fails = await stillFails(candidate);
    options.onTry?.(++tried, fails ? candidate.length : current.length);
    return fails;
  };
  for (let chunk = Math.max(1, current.length >> 1); chunk >= 1; chunk >>= 1) {
    // From the end backwards: the failing observation sits late, setup sits early.
    for (let start = current.length - chunk; start >= 0; start -= chunk) {
      const candidate = [...current.slice(0, start), ...current.slice(start + chunk)];
      if (await attempt(candidate)) current = candidate;
    }
    if (chunk === 1) break;
  }
  // A last single-op pass from the front catches what earlier removals made redundant.
  for (let i = 0; i < current.length && !options.interrupted?.(); ) {
    const candidate = [...current.slice(0, i), ...current.slice(i + 1)];
    if (await attempt(candidate)) current = candidate;
    else i++;
  }
  return current;
}
