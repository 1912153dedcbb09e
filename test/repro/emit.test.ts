// The C reproducer of a case (vfio-conform repro): every step checked against the model's
// expectations, operations it cannot perform refused, one program that compiles with libc only.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCase, type LoadedCase } from '../../harness/case-file.ts';
import type { Family, FamilyResult } from '../../spec/family.ts';
import { emitReproducer, reproCase } from '../../harness/repro.ts';
import { cli, scratch } from '../support/cli.ts';
import { compile, hasCc, writeTestCase } from './support.ts';

const dir = scratch('vfio-conform-repro-');

const T1_OPS = [
  { op: 'mmap', proc: 0, vaddr: 'A', size: '0x2000', prot: 'rw', backing: 'anon' },
  { op: 'cpuWrite', proc: 0, vaddr: 'A', token: '0x5eed' },
  { op: 'map', proc: 0, flags: 3, iova: '0x100000', vaddr: 'A', size: '0x2000' },
  { op: 'counters' },
  { op: 'unmap', proc: 0, flags: 0, iova: '0x101000', size: '0x1000' },
  { op: 'unmap', proc: 0, flags: 0, iova: '0x100000', size: '0x2000' },
  { op: 'closeContainer' },
  { op: 'counters' },
];

const FD_OPS = [
  { op: 'mmap', vaddr: 'A', size: '0x10000', prot: 'rw', backing: 'anon' },
  { op: 'ioasAlloc', ioas: 0 },
  { op: 'bind', dev: 0 },
  { op: 'attach', dev: 0, ioas: 0 },
  { op: 'map', ioas: 0, flags: 7, iova: '0x1000000', vaddr: 'A', length: '0x2000' },
  { op: 'counters' },
  { op: 'unmap', ioas: 0, iova: '0x1000000', length: '0x2000' },
  { op: 'closeCtx' },
];

describe('repro: the steps and what each must answer', () => {
  it('every step carries the answers the model expects for the recorded declaration, with its rule', () => {
    const path = writeTestCase(dir, 'steps', 'type1', 'sim-type1', T1_OPS);
    const c = reproCase(readCase(path), 'steps', path);
    expect(c.steps.map((s) => s.op.op)).toEqual(T1_OPS.map((o) => o.op));
    // the v2 unmap that cuts the 2-page mapping fails, the exact one returns both pages
    expect(c.steps[4]!.allowed).toEqual([{ ok: false, errno: 'EINVAL' }]);
    expect(c.steps[4]!.rule).toBe('T1-UNMAP-V2-BISECT');
    expect(c.steps[5]!.allowed[0]).toEqual({ ok: true, unmapped: 0x2000n });
    expect(c.steps[3]!.allowed[0]).toEqual({ ok: true, lockedVm: [2n, 0n] });
    expect(c.steps[7]!.allowed[0]).toEqual({ ok: true, lockedVm: [0n, 0n] });
  });

  it('the program checks each of them: the call, the expected answer and the rule appear at their step', () => {
    const path = writeTestCase(dir, 'golden', 'type1', 'sim-type1', T1_OPS);
    const { source } = emitReproducer([path]);
    expect(source).toContain('t1_unmap(&r, 0, 0x101000ULL, 0x1000ULL);');
    expect(source).toMatch(/if \(!\(\(r\.err == EINVAL\)\)\)\n\t\treturn departs\(4, (.* : )?"T1-UNMAP-V2-BISECT", "EINVAL", &r\);/);
    expect(source).toMatch(/return departs\(5, (.* : )?"T1-UNMAP-V2-EXACT", "ok unmapped=0x2000", &r\);/);
    expect(source).toContain('r.v[0] == 0x2ULL');
    expect(source).toMatch(/if \(t1_close_container\(&r, VFIO_TYPE1v2_IOMMU\)\) return 2;/);
    expect(source).toContain('{ "golden", case_0 },');
  });

  it('an operation it cannot perform refuses the whole case before any step runs', () => {
    const path = writeTestCase(dir, 'dma', 'type1', 'sim-type1', [...T1_OPS.slice(0, 3), { op: 'dmaRead', iova: '0x100000' }]);
    const { source } = emitReproducer([path]);
    expect(source).toMatch(/static int case_0\(void\)\n\{\n\treturn refuse\("step 3 dmaRead iova=0x100000: device DMA is not reproduced"\);\n\}/);
    const p1 = writeTestCase(dir, 'proc1', 'type1', 'sim-type1', [{ op: 'mmap', proc: 1, vaddr: 'A', size: '0x1000', prot: 'rw', backing: 'anon' }]);
    expect(emitReproducer([p1]).source).toContain('process 1 (a forked sharer of the container) is not reproduced');
  });

  it('one program holds several cases of one family, each by its file name', () => {
    const a = writeTestCase(dir, 'one', 'type1', 'sim-type1', T1_OPS);
    const b = writeTestCase(dir, 'two', 'type1', 'sim-type1-v1', T1_OPS.slice(0, 4));
    const { source } = emitReproducer([a, b]);
    expect(source).toContain('{ "one", case_0 },\n\t{ "two", case_1 },');
    expect(source).toContain('t1_open(VFIO_TYPE1_IOMMU)');
    const fd = writeTestCase(dir, 'fd', 'iommufd', 'sim-iommufd', FD_OPS);
    expect(() => emitReproducer([a, fd])).toThrow(/one program holds cases of one family/);
    const again = writeTestCase(join(dir, 'other'), 'one', 'type1', 'sim-type1', T1_OPS);
    expect(() => emitReproducer([a, again])).toThrow(/two case files are named one/);
  });

  it('a judged answer (an iova the allocator picks) is checked for success or its errno only, and says so', () => {
    const path = writeTestCase(dir, 'auto', 'iommufd', 'sim-iommufd', [...FD_OPS.slice(0, 4), { op: 'map', ioas: 0, flags: 6, iova: '0x0', vaddr: 'A', length: '0x1000' }]);
    const c = reproCase(readCase(path), 'auto', path);
    expect(c.steps[4]!.judged).toBe(true);
    expect(c.steps[3]!.judged).toBeUndefined();
    const { source } = emitReproducer([path]);
    expect(source).toMatch(/if \(!\(\(r\.err == 0\)\)\)\n\t\treturn departs\(4, .*"IOMMUFD-MAP-EXACT", "ok \(the values are judged by the suite, not compared here\)", &r\);/);
    // a failure is blamed as `run` blames it: ENOSPC of an automatic map is the allocator's
    expect(c.steps[4]!.failureRules).toMatchObject({ ENOSPC: 'IOMMUFD-MAP-ALLOC', EFAULT: 'IOMMUFD-MAP-UNBACKED' });
    expect(source).toContain('r.err == ENOSPC ? "IOMMUFD-MAP-ALLOC" : ');
  });

  it('the same cases give the same program byte for byte', () => {
    const path = writeTestCase(dir, 'same', 'iommufd', 'sim-iommufd', FD_OPS);
    expect(emitReproducer([path]).source).toBe(emitReproducer([path]).source);
  });
});

describe.runIf(hasCc)('repro: the program compiles with libc only and says when it cannot run', () => {
  it('type1: cc -static -O2 -Werror, then exit 2 with one line naming what is missing', () => {
    const path = writeTestCase(dir, 'cc-type1', 'type1', 'sim-type1', T1_OPS);
    const out = join(dir, 'cc-type1.c');
    expect(cli(['repro', path, '--c', out]).status).toBe(0);
    const built = compile(out, join(dir, 'cc-type1'));
    expect(built.stderr).toBe('');
    expect(built.status).toBe(0);
    const r = spawnSync(join(dir, 'cc-type1'), ['--group', '999999', '--device', '0000:ff:1f.7'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stdout).toMatch(/^repro: cc-type1: cannot run: open \/dev\/vfio\/(vfio|999999): /m);
    expect(r.stdout).toMatch(/^repro: cc-type1: exit 2 \(not run to its end\)$/m);
  });

  it('iommufd: the agent\'s uAPI declarations make it build against older headers', () => {
    const path = writeTestCase(dir, 'cc-fd', 'iommufd', 'sim-iommufd', FD_OPS);
    const out = join(dir, 'cc-fd.c');
    expect(cli(['repro', path, '--c', out]).status).toBe(0);
    expect(readFileSync(out, 'utf8')).toContain('fd_map(&r, 0, 7, 0x1000000ULL,');
    const built = compile(out, join(dir, 'cc-fd'));
    expect(built.stderr).toBe('');
    const r = spawnSync(join(dir, 'cc-fd'), ['--cdev', join(dir, 'no-such-cdev')], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stdout).toMatch(/^repro: cc-fd: cannot run: open \/dev\/iommu|^repro: cc-fd: cannot run: open .*no-such-cdev/m);
  });

  it('without the device named it prints its usage and exits 2', () => {
    const path = writeTestCase(dir, 'usage', 'type1', 'sim-type1', T1_OPS.slice(0, 1));
    const out = join(dir, 'usage.c');
    cli(['repro', path, '--c', out]);
    expect(compile(out, join(dir, 'usage')).status).toBe(0);
    const r = spawnSync(join(dir, 'usage'), [], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/usage: .* --group N --device BDF/);
  });
});

describe('repro: the command line', () => {
  it('refuses a missing --c, an output over a case file, a case without a declaration and a family without a reproducer (exit 2)', () => {
    const path = writeTestCase(dir, 'cli', 'type1', 'sim-type1', T1_OPS.slice(0, 1));
    expect(cli(['repro', path]).stderr).toMatch(/repro needs --c OUT\.c/);
    expect(cli(['repro', path, '--c', path]).status).toBe(2);
    const bare = join(dir, 'bare.case.json');
    const doc = JSON.parse(readFileSync(path, 'utf8'));
    delete doc.info;
    writeFileSync(bare, JSON.stringify(doc));
    const noInfo = cli(['repro', bare, '--c', join(dir, 'bare.c')]);
    expect(noInfo.status).toBe(2);
    expect(noInfo.stderr).toMatch(/records no backend declaration/);
    const viommu = cli(['run', '--backend', 'sim-vtd~psi-mask-short', '--rules', 'VIOMMU-INVAL-STALE', '--cases', dir]);
    const written = /case: +(\S+\.case\.json)/.exec(viommu.stdout)?.[1];
    expect(written).toBeDefined();
    const r = cli(['repro', written!, '--c', join(dir, 'v.c')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/the viommu family has no reproducer/);
  });
});

describe('repro: answers the model judges', () => {
  // a one-operation family whose model judges its answer: ok, EBUSY (a variant) or, with
  // another rule, anything else
  const judgedOnly = {
    model: () => ({
      apply: () => ({
        result: { ok: true }, rule: 'X-OK',
        judge: (a: FamilyResult) => (a.ok || (a as { errno: string }).errno === 'EBUSY' ? null : { rule: (a as { errno: string }).errno === 'EFAULT' ? 'X-FAULT' : 'X-OK', why: 'no' }),
      }),
      blame: () => 'X-OK',
    }),
  } as unknown as Family;
  const loaded = { family: judgedOnly, profile: 'p', backend: 'b', property: 'q', rule: null, ops: [{ op: 'poke' }], info: { profile: 'p' }, failure: null, answers: null } as unknown as LoadedCase;

  it('an errno the judge lets through is allowed, one it blames elsewhere carries that rule', () => {
    const [step] = reproCase(loaded, 'judged', 'judged.case.json').steps;
    expect(step!.judged).toBe(true);
    expect(step!.allowed).toEqual([{ ok: true }, { ok: false, errno: 'EBUSY' }]);
    expect(step!.failureRules).toEqual({ EFAULT: 'X-FAULT' });
  });
});
