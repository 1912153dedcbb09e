// What a family is, as the harness sees it.
//
// A family is one kind of DMA-remapping interface (VFIO type1, iommufd, sPAPR TCE, an emulated
// IOMMU's IOMMUMemoryRegion contract): its rules, its operations and their wire form, its
// backend declaration, its reference model, its generators and properties, and its bundled
// backends. The harness runs, judges, shrinks, records and reports through this interface
// only, so a family is added by adding its folders and one line in families/index.ts.
import type fc from 'fast-check';
import type { Errno } from './errno.ts';
import type { Timeline } from './timeline.ts';

/** Every operation of every family is a plain object discriminated by `op`. */
export interface FamilyOp { readonly op: string }

/** Every result is a success with values, or a failure with an errno, as the real uAPI. */
export type FamilyResult = { readonly ok: true } | { readonly ok: false; readonly errno: Errno };

/** What every backend declares, whatever its family; a family adds its own fields. */
export interface BackendInfoBase {
  name: string;
  /** Free text: what the backend is and which version of it. */
  description: string;
  /** The family's id; a backend that names none is of the first family, type1. */
  family?: string;
  /** One of the family's profiles: which variant of the interface it implements. */
  profile: string;
  /** Optional abilities; a property that needs a missing one is skipped, never passed. */
  capabilities: readonly string[];
}

/**
 * Every method may be synchronous or asynchronous. `execute` returns one result per
 * operation, in order, and fewer only when the backend stopped early. `reset` brings the
 * backend back to the fresh state its family defines.
 */
export interface Backend<O extends FamilyOp = FamilyOp, R extends FamilyResult = FamilyResult, I extends BackendInfoBase = BackendInfoBase> {
  readonly info: I;
  reset(): void | Promise<void>;
  execute(ops: readonly O[]): readonly R[] | Promise<readonly R[]>;
  dispose?(): void | Promise<void>;
}

/** What a backend module exports: `export default function create(options) {...}`. */
export type BackendFactory<B extends Backend = Backend> = (options: Record<string, string>) => B | Promise<B>;

export interface Rule {
  /** Stable, never renumbered, prefixed by the family (`T1-`, `IOMMUFD-`, ...). */
  id: string;
  /** The key of the family's rule group (`MAP`, `UNMAP`, ...). */
  group: string;
  level: 'MUST' | 'MAY';
  /** Which profiles the rule binds, in the family's words. */
  profile: string;
  statement: string;
  sources: readonly string[];
  /** Versions or configurations that behave differently, and how the suite treats them. */
  variants?: readonly string[];
}

/** What a conforming backend must answer to one operation, and the rule that decides it. */
export interface Expectation<R extends FamilyResult = FamilyResult> {
  result: R;
  /** Other answers that also conform (variants the rule names). */
  accept?: readonly R[];
  rule: string;
  /** Further rules a wrong answer breaks. */
  alsoBroken?: readonly string[];
  /**
   * For an operation whose conforming answers are too many to list (the events a notifier
   * receives, a translation an IOMMU may still have cached): the rule `actual` breaks and why,
   * or null when it conforms. `result` is then one conforming answer, shown in reports.
   */
  judge?(actual: R): { rule: string; why: string; alsoBroken?: readonly string[] } | null;
}

/** The reference model of one fresh backend, driven one operation at a time. */
export interface Model<O extends FamilyOp = FamilyOp, R extends FamilyResult = FamilyResult> {
  apply(op: O): Expectation<R>;
  /** The rule a wrong `actual` answer breaks, given what was expected. */
  blame(op: O, expected: Expectation<R>, actual: R): string;
  /**
   * The backend's conforming answer to the operation last applied, for a model whose next
   * expectations depend on which of the conforming answers was given (the events a notifier
   * saw). A model not told takes its own `result` as the answer.
   */
  observe?(op: O, actual: R): void;
}

export interface Property<O extends FamilyOp = FamilyOp, I extends BackendInfoBase = BackendInfoBase> {
  id: string;
  title: string;
  /** The rules it is built to exercise. */
  rules: readonly string[];
  /** Capabilities without which it cannot aim at its rules: it is skipped. */
  requires: readonly string[];
  /** Profiles it applies to; all when absent. */
  profiles?: readonly string[];
  /** Self-checking concrete cases for a backend that declares `info`; fast-check shrinks them. */
  cases(info: I, maxOps: number): fc.Arbitrary<O[]>;
}

/** A backend that ships with the suite: a simulator, a mutant, or a real implementation. */
export type BundledBackend<B extends Backend = Backend> =
  | { name: string; description: string; kind: 'correct' | 'mutant'; rule?: string; create(options: Record<string, string>): B }
  /** Started as a process speaking the protocol (a VM, a QEMU under qtest). */
  | { name: string; description: string; kind: 'real'; command: string; timeoutMs: number; note: string };

/** One operation of a case with what the reference model expects of it. */
export interface ReproStep<O extends FamilyOp = FamilyOp, R extends FamilyResult = FamilyResult> {
  op: O;
  /** The model's answer, then the other answers its rule accepts. */
  allowed: readonly R[];
  rule: string;
  /**
   * The model judges this answer rather than listing it (Expectation.judge): a program then
   * checks only success or the errno, and says so.
   */
  judged?: boolean;
  /** The rule a failure with that errno breaks, where it is not `rule` (the model's blame). */
  failureRules?: Readonly<Record<string, string>>;
}

/** A case as a reproducer performs it: every step with its expected answers. */
export interface ReproCase<O extends FamilyOp = FamilyOp, R extends FamilyResult = FamilyResult> {
  /** Unique among the cases of one program; letters, digits, `-`, `_`, `.`, `@`. */
  name: string;
  profile: string;
  /** Free text naming where the case comes from (backend, property, recorded failure). */
  origin: string;
  steps: readonly ReproStep<O, R>[];
}

/**
 * A standalone program that performs cases with the real system calls and checks each answer
 * against the expected ones: exit 0 when every step answers as expected, 1 at the first step
 * that departs (printed with its rule), 2 when it cannot run (no device, an operation it
 * cannot perform).
 */
export interface Reproducer<O extends FamilyOp = FamilyOp, R extends FamilyResult = FamilyResult> {
  /** The program's language, the extension of its file (`c`). */
  language: string;
  /** How the program is told which device to use, for `--help` texts. */
  usage: string;
  emit(cases: readonly ReproCase<O, R>[]): string;
}

export interface Family<O extends FamilyOp = FamilyOp, R extends FamilyResult = FamilyResult, I extends BackendInfoBase = BackendInfoBase> {
  id: string;
  title: string;
  rules: readonly Rule[];
  /** How a rule's binding reads in listings (`vfio-conform rules`): its `profile` when absent. */
  ruleBinding?(rule: Rule): string;
  /** Rule group keys to headings, in the order the rules are documented. */
  groups: Readonly<Record<string, string>>;
  profiles: readonly string[];
  capabilities: readonly string[];
  /**
   * Optional: the operations that only look at state. A differential run looks past a
   * difference in one of them (the states have not parted); after a difference in any other
   * operation it takes what follows in that case as consequences.
   */
  observations?: ReadonlySet<string>;
  properties: readonly Property<O, I>[];
  bundled: readonly BundledBackend<Backend<O, R, I>>[];
  /** What `run` checks when no backend is named. */
  defaultBackends: readonly string[];

  model(info: I): Model<O, R>;
  /** The capabilities an operation needs; a backend never receives one it lacks. */
  capabilitiesFor(op: O): readonly string[];

  encodeOp(op: O): Record<string, unknown>;
  /** Throws a WireError naming the offending field. */
  decodeOp(v: unknown, where: string): O;
  /** Results arrive as plain data from in-process backends or as JSON; throws a WireError. */
  decodeResult(op: O, v: unknown, where: string, info: I): R;
  encodeInfo(info: I): Record<string, unknown>;
  /** Throws a WireError naming the offending field. */
  decodeInfo(v: unknown, where: string): I;
  /** What is wrong with an in-process backend's declaration, or null. */
  checkInfo(info: unknown): string | null;

  formatOp(op: O): string;
  formatResult(r: R): string;
  /**
   * Optional: the case as the reference model sees it after every operation, in the neutral
   * terms of spec/timeline.ts, for `show`. `actual[i]` is the backend's answer to `ops[i]`
   * when it is known (a case file records the failing step's).
   */
  view?(info: I, ops: readonly O[], actual: readonly (R | undefined)[]): Timeline;

  /** Optional: reproducers of its cases as programs that need no suite (`vfio-conform repro`). */
  reproducer?: Reproducer<O, R>;

  /** The family's protocol as JSON Schema, for backend authors in other languages. */
  schema(): Record<string, unknown>;
  /** Generated documents, paths relative to the repository root. */
  docs(): readonly { path: string; text: string }[];
}
