// CASE.json: a minimized failing case that replays with one command.
//
// The file holds concrete operations only, never generator state, so it still replays after
// the generators change. What the model expects is recomputed at replay; the recorded
// expected/actual are there for the reader. Version 2 records the family, the profile and
// the protocol version; version 1 files (type1 only) still replay.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { BackendInfoBase, Family, FamilyOp, FamilyResult } from '../spec/family.ts';
import { PROTOCOL_VERSION } from '../spec/protocol.ts';
import { isRecord, toPlain, WireError } from '../spec/u64.ts';
import { DEFAULT_FAMILY, FAMILIES, findFamily } from '../families/index.ts';
import type { Violation } from './check.ts';
import { SUITE_VERSION } from './version.ts';

export const CASE_FORMAT = 'vfio-conform/case';
export const CASE_VERSION = 2;

export interface CaseFile {
  family: Family;
  profile: string;
  backend: string;
  property: string;
  seed: number;
  ops: readonly FamilyOp[];
  /** The failing backend's declaration, so that the case can be drawn without it (`show`). */
  info?: BackendInfoBase;
  /** Absent for a case written after a backend fault rather than a violation. */
  violation?: Violation;
  /**
   * The backend's answers to the operations before the failing one: a model whose later
   * expectations depend on which conforming answer was given (the events a notifier saw)
   * follows them when the case is drawn.
   */
  answers?: readonly FamilyResult[];
  fault?: string;
  /** For a difference between two backends: what each answered at the step. */
  difference?: Record<string, unknown>;
}

export class CaseFileError extends Error {}

export function writeCase(path: string, c: CaseFile): void {
  const { family } = c;
  const failure = c.violation
    ? { step: c.violation.step, rule: c.violation.rule, op: family.encodeOp(c.ops[c.violation.step]!), expected: toPlain(c.violation.expected), actual: toPlain(c.violation.actual) }
    : c.difference ? { difference: toPlain(c.difference) } : { fault: c.fault };
  const doc = {
    format: CASE_FORMAT,
    version: CASE_VERSION,
    suite: SUITE_VERSION,
    protocol: PROTOCOL_VERSION,
    family: family.id,
    profile: c.profile,
    backend: c.backend,
    property: c.property,
    seed: c.seed,
    failure,
    replay: `npx vfio-conform replay ${path}`,
    ops: c.ops.map((op) => family.encodeOp(op)),
    ...(c.info ? { info: family.encodeInfo(c.info) } : {}),
    ...(c.answers ? { answers: c.answers.map((r) => toPlain(r)) } : {}),
  };
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(doc, null, 2) + '\n');
}

export interface LoadedCase {
  family: Family;
  /** The profile of the backend that failed, when the file records it (version 2). */
  profile: string | null;
  backend: string;
  property: string;
  rule: string | null;
  ops: FamilyOp[];
  /** The backend's declaration, when the file records it. */
  info: BackendInfoBase | null;
  /** The recorded failure as written (wire form): step, rule, expected, actual; or fault; or difference. */
  failure: Record<string, unknown> | null;
  /** The backend's answers before the failing step, when the file records them and its declaration. */
  answers: FamilyResult[] | null;
}

export function readCase(path: string): LoadedCase {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CaseFileError(code === 'ENOENT' ? `${path}: no such file` : code === 'EISDIR' ? `${path}: is a directory` : `${path}: cannot read (${code ?? 'error'})`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new CaseFileError(`${path}: not valid JSON (${(err as Error).message})`);
  }
  if (!isRecord(doc) || doc.format !== CASE_FORMAT) {
    throw new CaseFileError(`${path}: not a vfio-conform case file (no "format": "${CASE_FORMAT}")`);
  }
  if (doc.version !== 1 && doc.version !== CASE_VERSION) {
    throw new CaseFileError(`${path}: case format version ${JSON.stringify(doc.version)}, this suite reads versions 1 and ${CASE_VERSION}`);
  }
  const familyId = doc.version === 1 ? DEFAULT_FAMILY : doc.family;
  const family = typeof familyId === 'string' ? findFamily(familyId) : undefined;
  if (!family) throw new CaseFileError(`${path}: unknown family ${JSON.stringify(familyId)} (known: ${FAMILIES.map((f) => f.id).join(', ')})`);
  if (typeof doc.backend !== 'string') throw new CaseFileError(`${path}: "backend" must be a string`);
  if (doc.profile !== undefined && (typeof doc.profile !== 'string' || !family.profiles.includes(doc.profile))) {
    throw new CaseFileError(`${path}: "profile" must be one of ${family.profiles.join(', ')}`);
  }
  if (!Array.isArray(doc.ops) || doc.ops.length === 0) throw new CaseFileError(`${path}: "ops" must be a non-empty array`);
  try {
    const ops = doc.ops.map((o, i) => family.decodeOp(o, `ops[${i}]`));
    const failure = isRecord(doc.failure) ? doc.failure : {};
    const info = doc.info === undefined ? null : family.decodeInfo(doc.info, 'info');
    if (doc.answers !== undefined && (!Array.isArray(doc.answers) || doc.answers.length > ops.length)) throw new CaseFileError(`${path}: "answers" must be an array no longer than "ops"`);
    const answers = Array.isArray(doc.answers) && info ? doc.answers.map((a, i) => family.decodeResult(ops[i]!, a, `answers[${i}]`, info)) : null;
    return {
      family,
      profile: typeof doc.profile === 'string' ? doc.profile : null,
      backend: doc.backend,
      property: typeof doc.property === 'string' ? doc.property : '?',
      rule: typeof failure.rule === 'string' ? failure.rule : null,
      ops,
      info,
      failure: isRecord(doc.failure) ? doc.failure : null,
      answers,
    };
  } catch (err) {
    if (err instanceof WireError) throw new CaseFileError(`${path}: ${err.message}`);
    throw err;
  }
}
