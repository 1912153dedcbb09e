// What every family's bundled simulators share: a correct simulator under its name, and mutants,
// each a base simulator with one realistic bug (backends/<family>/mutants.ts). Each family's
// index.ts lists them as spec/family.ts's BundledBackend.

/** A mutant: its base simulator with one bug, which breaks `rule`. */
export interface Mutant<Base extends string, Bug extends string, Rule extends string = string> {
  /** The bundled backend name: `${base}~${id}`. */
  readonly name: string;
  readonly id: Bug;
  readonly base: Base;
  readonly rule: Rule;
  readonly description: string;
}

export const mutant = <Base extends string, Bug extends string, Rule extends string = string>(
  base: Base, id: Bug, rule: Rule, description: string,
): Mutant<Base, Bug, Rule> => ({ name: `${base}~${id}`, id, base, rule, description });

/** A bundled simulator or mutant (spec/family.ts: BundledBackend, never 'real'). */
export interface BundledSim<B> {
  readonly name: string;
  readonly description: string;
  readonly kind: 'correct' | 'mutant';
  /** For a mutant: the rule its bug breaks. */
  readonly rule?: string;
  /** Throws an Error with a one-line message on an unknown or malformed option. */
  create(options: Record<string, string>): B;
}

/** A mutant as a bundled backend: `build` makes its base simulator with its bug, under its name and description. */
export function bundledMutant<B>(
  m: Mutant<string, string>,
  build: (name: string, description: string, options: Record<string, string>) => B,
): BundledSim<B> {
  const description = `${m.base} with one bug: ${m.description} Violates ${m.rule}.`;
  return { name: m.name, description, kind: 'mutant', rule: m.rule, create: (options) => build(m.name, description, options) };
}
