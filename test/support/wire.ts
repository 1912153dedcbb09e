// Asserting on the wire codecs' errors: a WireError whose message starts with the path of the
// offending field.
import { expect } from 'vitest';
import { WireError } from '../../spec/u64.ts';

export function expectWireError(f: () => unknown, path: string): void {
  let caught: unknown;
  try { f(); } catch (err) { caught = err; }
  expect(caught).toBeInstanceOf(WireError);
  expect((caught as Error).message.startsWith(`${path}:`), (caught as Error).message).toBe(true);
}
