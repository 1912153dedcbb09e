// The sPAPR family's C reproducer (backends/spapr/repro-c.ts, repro/c/spapr.c): each operation
// the ioctl it stands for, on the container of its index, with the container type of the
// case's profile; what the program cannot do refused; one program that compiles with libc only.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emitReproducer } from '../../harness/repro.ts';
import { cli, scratch } from '../support/cli.ts';
import { compile, hasCc, writeTestCase } from './support.ts';

const dir = scratch('vfio-conform-repro-spapr-');

const V2_OPS = [
  { op: 'mmap', proc: 0, vaddr: 'A', size: '0x10000', prot: 'rw', backing: 'anon' },
  { op: 'register', proc: 0, ct: 0, flags: 0, vaddr: 'A', size: '0x10000' },
  { op: 'map', proc: 0, ct: 0, flags: 3, iova: '0x0', vaddr: 'A', size: '0x1000' },
  { op: 'counters' },
  { op: 'unregister', proc: 0, ct: 0, flags: 0, vaddr: 'A', size: '0x10000' },
];

describe('repro spapr: SPAPR-* steps as the container ioctls', () => {
  it('SPAPR-UNREG-MAPPED: the UNREGISTER of a mapped region must answer EBUSY, by that rule', () => {
    const { source } = emitReproducer([writeTestCase(dir, 'unreg', 'spapr', 'sim-spapr-v2', V2_OPS)]);
    expect(source).toMatch(/sp_open\(1, VFIO_SPAPR_TCE_v2_IOMMU\) \|\| host_fresh\(0\)/);
    expect(source).toContain('if (sp_map(&r, 0, 3, 0x0ULL,');
    expect(source).toMatch(/sp_register\(&r, 0, 0, 0, 0x[0-9a-f]+ULL, 0x10000ULL\);/);
    expect(source).toMatch(/if \(!\(\(r\.err == EBUSY\)\)\)\n\t\treturn departs\(4, (.* : )?"SPAPR-UNREG-MAPPED", "EBUSY", &r\);/);
    // the region's 16 pages and the default window's table (0x40000000 of 4 KiB TCEs: 0x200 pages)
    expect(source).toContain("r.v[0] == 0x210ULL");
  });

  it('SPAPR-V1-ENABLE: a v1 case opens VFIO_SPAPR_TCE_IOMMU containers; the highest container named sets how many', () => {
    const path = writeTestCase(dir, 'v1', 'spapr', 'sim-spapr-v1', [{ op: 'enable', proc: 0, ct: 1 }, { op: 'counters' }]);
    const { source } = emitReproducer([path]);
    expect(source).toContain('sp_open(2, VFIO_SPAPR_TCE_IOMMU)');
    expect(source).toContain('sp_enable(&r, 1, 1);');
  });

  it('SPAPR-CREATE-START: TCE_CREATE checks the start the model expects; closeContainer reopens with the profile\'s type', () => {
    const path = writeTestCase(dir, 'create', 'spapr', 'sim-spapr-v2', [
      { op: 'create', proc: 0, ct: 0, flags: 0, pageShift: 16, windowSize: '0x8000000', levels: 1 },
      { op: 'closeContainer', ct: 0 },
    ]);
    const { source } = emitReproducer([path]);
    expect(source).toContain('sp_create(&r, 0, 0, 16, 0x8000000ULL, 1);');
    expect(source).toMatch(/r\.err == 0 && r\.v\[0\] == 0x[0-9a-f]+ULL/);
    expect(source).toContain('if (sp_close_container(&r, 0, VFIO_SPAPR_TCE_v2_IOMMU)) return 2;');
  });

  it('device DMA and a second process are refused before any step runs', () => {
    const dma = writeTestCase(dir, 'dma', 'spapr', 'sim-spapr-v2', [...V2_OPS.slice(0, 3), { op: 'dmaRead', ct: 0, iova: '0x0' }]);
    expect(emitReproducer([dma]).source).toMatch(/static int case_0\(void\)\n\{\n\treturn refuse\("step 3 dmaRead .*device DMA is not reproduced"\);/);
    const p1 = writeTestCase(dir, 'p1', 'spapr', 'sim-spapr-v2', [{ op: 'mmap', proc: 1, vaddr: 'A', size: '0x1000', prot: 'rw', backing: 'anon' }]);
    expect(emitReproducer([p1]).source).toContain('process 1 (a forked sharer of the containers) is not reproduced');
  });
});

describe.runIf(hasCc)('repro spapr: the program compiles with libc only and says when it cannot run', () => {
  it('cc -static -O2 -Werror, then exit 2 naming the group it cannot open; usage without --group', () => {
    const path = writeTestCase(dir, 'cc-spapr', 'spapr', 'sim-spapr-v2', V2_OPS);
    const out = join(dir, 'cc-spapr.c');
    expect(cli(['repro', path, '--c', out]).status).toBe(0);
    const built = compile(out, join(dir, 'cc-spapr'));
    expect(built.stderr).toBe('');
    expect(built.status).toBe(0);
    const r = spawnSync(join(dir, 'cc-spapr'), ['--group', '999999'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stdout).toMatch(/^repro: cc-spapr: cannot run: (open \/dev\/vfio\/999999|VFIO_CHECK_EXTENSION|open \/dev\/vfio\/vfio)/m);
    const u = spawnSync(join(dir, 'cc-spapr'), [], { encoding: 'utf8' });
    expect(u.status).toBe(2);
    expect(u.stderr).toMatch(/usage: .* --group N \[--group N\]/);
  });
});
