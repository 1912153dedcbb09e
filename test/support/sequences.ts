// Running hand-written op sequences on a synchronous in-process backend of any family.
import type { Backend, FamilyOp, FamilyResult } from '../../spec/family.ts';

/** Run `ops` on a freshly reset backend. */
export function run<O extends FamilyOp, R extends FamilyResult>(backend: Backend<O, R>, ops: readonly O[]): R[] {
  backend.reset();
  return [...(backend.execute(ops) as readonly R[])];
}

/** The result of the last op of `ops` on a freshly reset backend. */
export const last = <O extends FamilyOp, R extends FamilyResult>(backend: Backend<O, R>, ops: readonly O[]): R => run(backend, ops).at(-1) as R;

export const okv = <R extends FamilyResult>(values: object = {}): R => ({ ok: true, ...values }) as unknown as R;
export const err = <R extends FamilyResult>(errno: string): R => ({ ok: false, errno }) as unknown as R;
