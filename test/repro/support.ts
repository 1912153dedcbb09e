// Case files for the reproducer tests, written with the declaration of a bundled simulator.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { writeCase } from '../../harness/case-file.ts';
import { findFamily } from '../../families/index.ts';
import type { Backend, BackendInfoBase } from '../../spec/family.ts';

/** Writes `ops` (wire form, `A` in a string is the arena's start) as DIR/NAME.case.json. */
export function writeTestCase(dir: string, name: string, familyId: string, simulator: string, ops: Record<string, unknown>[]): string {
  const family = findFamily(familyId)!;
  const bundled = family.bundled.find((b) => b.name === simulator);
  if (!bundled || bundled.kind === 'real') throw new Error(`no simulator ${simulator}`);
  const info = (bundled.create({}) as Backend).info as BackendInfoBase & { host: { arena: { start: bigint } } };
  const a = info.host.arena.start;
  const place = (v: unknown): unknown => typeof v === 'string' && v.startsWith('A') ? `0x${(a + BigInt(v.slice(1) || '0')).toString(16)}` : v;
  const decoded = ops.map((o, i) => family.decodeOp(Object.fromEntries(Object.entries(o).map(([k, v]) => [k, place(v)])), `ops[${i}]`));
  const path = join(dir, `${name}.case.json`);
  writeCase(path, { family, profile: info.profile, backend: simulator, property: 'test', seed: 0, ops: decoded, info });
  return path;
}

export const hasCc = spawnSync('cc', ['--version']).status === 0;

/** Compiles a reproducer as its README says: cc -static -O2. */
export function compile(source: string, out: string): { status: number | null; stderr: string } {
  const r = spawnSync('cc', ['-static', '-O2', '-std=c11', '-Wall', '-Werror', '-o', out, source], { encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr };
}
