// The reference model against the VFIO_IOMMU_DIRTY_PAGES rules and GET_INFO's MIGRATION
// capability (spec/type1/rules.ts, groups DIRTY and INFO).
import { describe, expect, test } from 'vitest';
import type { Profile } from '../../../spec/type1/backend.ts';
import type { OpOf } from '../../../spec/type1/ops.ts';
import { SystemModel } from '../../../models/type1/system.ts';
import { testInfo } from '../support/info.ts';
import { A, IOVA, P, counters, dmaRead, err, fresh, locked, map, mmap, okv, setup, token, unmap, unmapped, DIRTY, cpuWrite } from './helpers.ts';

const dirty = (flags: number): OpOf<'dirtyPages'> => ({ op: 'dirtyPages', flags });
const migrationInfo: OpOf<'migrationInfo'> = { op: 'migrationInfo' };
const START = 1;
const STOP = 2;
const GET_BITMAP = 4;
/** DIRTY_BITMAP_BYTES(INT_MAX): 2^31 - 1 bits rounded up to whole u64s is 2^31 bits, 2^28 bytes. */
const MAX_BITMAP = 0x10000000n;

describe('VFIO_IOMMU_DIRTY_PAGES', () => {
  test('T1-DIRTY-START-STOP: START and STOP succeed in any order and any number of times', () => {
    const m = fresh();
    for (const flags of [STOP, START, START, STOP, STOP, START]) {
      expect(m.apply(dirty(flags))).toEqual({ result: okv(), rule: 'T1-DIRTY-START-STOP' });
    }
  });

  test('T1-DIRTY-START-STOP: tracking changes no mapping, device view or charge; counters right after it are judged by it', () => {
    const m = fresh();
    setup(m, [mmap(A, 2n * P), cpuWrite(A, 7n), map(IOVA, A, 2n * P)]);
    expect(m.apply(dirty(START))).toEqual({ result: okv(), rule: 'T1-DIRTY-START-STOP' });
    expect(m.apply(counters)).toEqual({ result: locked(2n, 0n), rule: 'T1-DIRTY-START-STOP' });
    expect(m.apply(dmaRead(IOVA))).toEqual({ result: token(7n), rule: 'T1-DIRTY-START-STOP' });
    // UNMAP_DMA without GET_DIRTY_BITMAP is unchanged by tracking; with it and no bitmap it fails.
    expect(m.apply(unmap(IOVA, P, DIRTY))).toEqual({ result: err('EINVAL'), rule: 'T1-UNMAP-FLAGS' });
    expect(m.apply(unmap(IOVA, 2n * P))).toEqual({ result: unmapped(2n * P), rule: 'T1-UNMAP-V2-EXACT' });
    expect(m.apply(dirty(STOP))).toEqual({ result: okv(), rule: 'T1-DIRTY-START-STOP' });
    expect(m.apply(counters)).toEqual({ result: locked(0n, 0n), rule: 'T1-DIRTY-START-STOP' });
  });

  test('T1-DIRTY-FLAGS: no flag, two or three flags, or an unknown bit fail with EINVAL', () => {
    const m = fresh();
    for (const flags of [0, START | STOP, START | GET_BITMAP, STOP | GET_BITMAP, 7, 8, START | 8, 0x80000000]) {
      expect(m.apply(dirty(flags)), `flags ${flags}`).toEqual({ result: err('EINVAL'), rule: 'T1-DIRTY-FLAGS' });
    }
  });

  test('T1-DIRTY-GET-BITMAP: GET_BITMAP without a range fails with EINVAL, tracking started or not', () => {
    const m = fresh();
    expect(m.apply(dirty(GET_BITMAP))).toEqual({ result: err('EINVAL'), rule: 'T1-DIRTY-GET-BITMAP' });
    setup(m, [dirty(START)]);
    expect(m.apply(dirty(GET_BITMAP))).toEqual({ result: err('EINVAL'), rule: 'T1-DIRTY-GET-BITMAP' });
  });

  test('T1-DIRTY-V1: a v1 container answers EACCES whatever the flags', () => {
    const m = fresh('type1v1');
    for (const flags of [START, STOP, GET_BITMAP, 0, 7, 8]) {
      expect(m.apply(dirty(flags)), `flags ${flags}`).toEqual({ result: err('EACCES'), rule: 'T1-DIRTY-V1' });
    }
  });

  test('T1-COMPAT-DIRTY-ENOTTY: the compat layer answers ENOTTY, v1 or v2, whatever the flags', () => {
    for (const profile of ['type1v2-compat', 'type1v1-compat'] as const) {
      const m = fresh(profile);
      for (const flags of [START, STOP, GET_BITMAP, 0, 7, 8]) {
        expect(m.apply(dirty(flags)), `${profile} flags ${flags}`).toEqual({ result: err('ENOTTY'), rule: 'T1-COMPAT-DIRTY-ENOTTY' });
      }
    }
  });
});

describe('GET_INFO: VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION', () => {
  const present = (pgsizes: bigint) => ({ result: okv({ present: true, pgsizes, maxDirtyBitmapSize: MAX_BITMAP }), rule: 'T1-INFO-MIGRATION' });

  test('T1-INFO-MIGRATION: type1 reports it on v2 and v1, with the smallest IOMMU page alone', () => {
    // testInfo's iova_pgsizes is 4 KiB | 2 MiB | 1 GiB.
    for (const profile of ['type1v2', 'type1v1'] as const) expect(fresh(profile).apply(migrationInfo)).toEqual(present(P));
  });

  test('T1-INFO-MIGRATION: with a 64 KiB smallest page it reports 64 KiB', () => {
    const info = testInfo('type1v2');
    const m = new SystemModel({ ...info, geometry: { ...info.geometry, pgsizes: 0x20010000n } });
    expect(m.apply(migrationInfo)).toEqual(present(0x10000n));
  });

  test('T1-INFO-MIGRATION: the report does not change with mappings or tracking', () => {
    const m = fresh();
    setup(m, [mmap(A, P), map(IOVA, A, P), dirty(START)]);
    expect(m.apply(migrationInfo)).toEqual(present(P));
  });

  test('T1-INFO-MIGRATION (Compat): the compat layer leaves it out of the chain', () => {
    for (const profile of ['type1v2-compat', 'type1v1-compat'] as Profile[]) {
      expect(fresh(profile).apply(migrationInfo)).toEqual({
        result: okv({ present: false, pgsizes: 0n, maxDirtyBitmapSize: 0n }), rule: 'T1-INFO-MIGRATION',
      });
    }
  });
});
