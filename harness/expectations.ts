// Expectations files: rules a given backend is known to break, with the reason.
//
// Like the fails lists of the kernel's DRM CI or WPT metadata, they live outside the tests and
// name a reason and a source for each entry. A listed rule that breaks is reported as a known
// divergence, with its first case written out, and does not fail the run; everything else
// still does.
import { readFileSync } from 'node:fs';
import { findRule } from '../families/index.ts';

export const EXPECTATIONS_FORMAT = 'vfio-conform/expectations';

export interface KnownDivergence { rule: string; reason: string }
export interface Expectations { backend: string; known: KnownDivergence[] }

export class ExpectationsError extends Error {}

export function readExpectations(path: string): Expectations {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new ExpectationsError(`${path}: ${e.code === 'ENOENT' ? 'no such file' : `not valid JSON (${e.message})`}`);
  }
  const d = doc as Record<string, unknown>;
  if (typeof d !== 'object' || d === null || d.format !== EXPECTATIONS_FORMAT) {
    throw new ExpectationsError(`${path}: not an expectations file (no "format": "${EXPECTATIONS_FORMAT}")`);
  }
  if (typeof d.backend !== 'string' || !Array.isArray(d.known)) throw new ExpectationsError(`${path}: needs "backend" and a "known" array`);
  const known = d.known.map((k: unknown, i: number) => {
    const entry = k as Record<string, unknown>;
    if (typeof entry?.rule !== 'string' || !findRule(entry.rule)) throw new ExpectationsError(`${path}: known[${i}].rule is not a rule ID`);
    if (typeof entry.reason !== 'string' || !entry.reason) throw new ExpectationsError(`${path}: known[${i}] needs a "reason"`);
    return { rule: entry.rule, reason: entry.reason };
  });
  return { backend: d.backend, known };
}
