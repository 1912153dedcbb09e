// conform:kernel's bound on a run (kernel/run-args.ts): --duration is a nightly run, never cut
// to the default number of cases.
import { describe, expect, test } from 'vitest';
import { KERNEL_DEFAULT_RUNS, kernelRunArgs } from '../kernel/run-args.ts';

describe('conform:kernel run bounds', () => {
  test('no bound given: the default number of cases per property', () => {
    expect(kernelRunArgs(['--seed', '7'])).toEqual(['--runs', String(KERNEL_DEFAULT_RUNS), '--seed', '7']);
  });
  test('--duration alone: no --runs added, so no cap on cases', () => {
    expect(kernelRunArgs(['--duration', '3600'])).toEqual(['--duration', '3600']);
    expect(kernelRunArgs(['--duration=3600', '--json', 'r.json'])).toEqual(['--duration=3600', '--json', 'r.json']);
  });
  test('--runs given: kept as the only bound', () => {
    expect(kernelRunArgs(['--runs', '3'])).toEqual(['--runs', '3']);
    expect(kernelRunArgs(['--runs=3', '--duration', '60'])).toEqual(['--runs=3', '--duration', '60']);
  });
  test('a value that merely looks like the flag is not one', () => {
    expect(kernelRunArgs(['--cases', '--runs-dir'])).toEqual(['--runs', String(KERNEL_DEFAULT_RUNS), '--cases', '--runs-dir']);
  });
});
