// CASE.json: a minimized failing case that replays with one command.
//
// The file holds concrete operations only, never generator state, so it still replays after
// the generators change. What the model expects is recomputed at replay; the recorded
// expected/actual are there for the reader.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Op } from '../spec/type1/ops.ts';
import { decodeOp, encodeOp, toPlain, WireError } from '../spec/type1/wire.ts';
import type { Violation } from './check.ts';
import { SUITE_VERSION } from './version.ts';

export const CASE_FORMAT = 'vfio-conform/case';
export const CASE_VERSION = 1;

export interface CaseFile {
  backend: string;
  property: string;
  seed: number;
  ops: Op[];
  /** Absent for a case written after a backend fault rather than a violation. */
  violation?: Violation;
  fault?: string;
}

export class CaseFileError extends Error {}

export function writeCase(path: string, c: CaseFile): void {
  const failure = c.violation
    ? { step: c.violation.step, rule: c.violation.rule, op: encodeOp(c.ops[c.violation.step]!), expected: toPlain(c.violation.expected), actual: toPlain(c.violation.actual) }
    : { fault: c.fault };
  const doc = {
    format: CASE_FORMAT,
    version: CASE_VERSION,
    suite: SUITE_VERSION,
    backend: c.backend,
    property: c.property,
    seed: c.seed,
    failure,
    replay: `npx vfio-conform replay ${path}`,
    ops: c.ops.map(encodeOp),
  };
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(doc, null, 2) + '\n');
}

export interface LoadedCase {
  backend: string;
  property: string;
  rule: string | null;
  ops: Op[];
}

export function readCase(path: string): LoadedCase {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CaseFileError(code === 'ENOENT' ? `${path}: no such file` : `${path}: cannot read (${code ?? 'error'})`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new CaseFileError(`${path}: not valid JSON (${(err as Error).message})`);
  }
  if (typeof doc !== 'object' || doc === null || (doc as { format?: unknown }).format !== CASE_FORMAT) {
    throw new CaseFileError(`${path}: not a vfio-conform case file (no "format": "${CASE_FORMAT}")`);
  }
  const d = doc as Record<string, unknown>;
  if (d.version !== CASE_VERSION) throw new CaseFileError(`${path}: case format version ${JSON.stringify(d.version)}, this suite reads version ${CASE_VERSION}`);
  if (typeof d.backend !== 'string') throw new CaseFileError(`${path}: "backend" must be a string`);
  if (!Array.isArray(d.ops) || d.ops.length === 0) throw new CaseFileError(`${path}: "ops" must be a non-empty array`);
  try {
    const ops = d.ops.map((o, i) => decodeOp(o, `ops[${i}]`));
    const failure = d.failure as { rule?: unknown } | undefined;
    return {
      backend: d.backend,
      property: typeof d.property === 'string' ? d.property : '?',
      rule: typeof failure?.rule === 'string' ? failure.rule : null,
      ops,
    };
  } catch (err) {
    if (err instanceof WireError) throw new CaseFileError(`${path}: ${err.message}`);
    throw err;
  }
}
