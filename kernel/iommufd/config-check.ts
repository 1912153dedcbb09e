// Does a built kernel's .config hold what the fragments ask for? Kconfig drops a requested
// option silently when a dependency is missing, so the build checks the result, not the request.
//
// Required: every `CONFIG_X=y` line of the common fragment (its `is not set` lines only trim the
// build) and every line of the variant's fragment (there `is not set` is the point: VFIO_CONTAINER).

/** The value of each option a fragment or .config sets: 'y', 'm', a string, or 'n' for `is not set`. */
export function parseConfig(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split('\n')) {
    const set = /^(CONFIG_\w+)=(.*)$/.exec(line);
    if (set) m.set(set[1]!, set[2]! === 'n' ? 'n' : set[2]!);
    const unset = /^# (CONFIG_\w+) is not set$/.exec(line);
    if (unset) m.set(unset[1]!, 'n');
  }
  return m;
}

/** The first required option the .config lacks, as one line ("lacks CONFIG_X=y (has ...)"), or null. */
export function missingOption(dotConfig: string, common: string, variant: string): string | null {
  const have = parseConfig(dotConfig);
  const required = [...[...parseConfig(common)].filter(([, v]) => v === 'y'), ...parseConfig(variant)];
  for (const [name, want] of required) {
    const got = have.get(name) ?? 'n';
    if (got !== want) return `lacks ${name}=${want} (has ${got === 'n' ? 'it unset' : `${name}=${got}`})`;
  }
  return null;
}
