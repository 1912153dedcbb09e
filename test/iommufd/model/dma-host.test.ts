// The model against the DMA, host and info rules (spec/iommufd/rules.ts, groups DMA, HOST, INFO).
import { describe, expect, test } from 'vitest';
import { ok } from '../../../spec/iommufd/ops.ts';
import {
  A, FIXED, IOVA, MSI, P, R, W, alloc, at, attach, attached, bind, cpuRead, cpuWrite, dmaRead, dmaWrite, err, fresh, hwInfo,
  map, mmap, munmap, okv, run, token,
} from './helpers.ts';

describe('what a device reaches', () => {
  test('IOMMUFD-DMA-REACH: reads need READABLE, writes WRITEABLE; nothing is reached elsewhere or by an idle device', () => {
    const m = fresh();
    run(m, [mmap(A, 2n * P), ...attached, map(IOVA, A, P, FIXED | W), map(IOVA + P, A + P, P, FIXED | R)]);
    expect(at(m, dmaWrite(IOVA, 0x77n)).result).toEqual(okv());
    expect(at(m, cpuRead(A)).result).toEqual(token(0x77n));
    const wo = m.apply(dmaRead(IOVA));
    expect(wo.result).toEqual(err('EFAULT'));
    expect(wo.accept).toEqual([token(0x77n)]);
    expect(at(m, dmaWrite(IOVA + P, 1n))).toEqual({ result: err('EFAULT'), rule: 'IOMMUFD-DMA-REACH' });
    expect(at(m, dmaRead(MSI.start)).result).toEqual(err('EFAULT'));
    // Device 1 is bound but not attached; device 2 is not bound.
    run(m, [bind(1)]);
    expect(at(m, dmaRead(IOVA + P, 1))).toEqual({ result: err('EFAULT'), rule: 'IOMMUFD-DMA-REACH' });
    expect(at(m, dmaRead(IOVA + P, 2)).result).toEqual(err('EFAULT'));
  });
});

describe('host memory', () => {
  test('IOMMUFD-HOST-ENV: mmap, munmap and CPU accesses behave as Linux; new memory reads zero', () => {
    const m = fresh();
    expect(at(m, mmap(A, 2n * P))).toEqual({ result: okv(), rule: 'IOMMUFD-HOST-ENV' });
    expect(at(m, cpuRead(A + P))).toEqual({ result: token(0n), rule: 'IOMMUFD-HOST-ENV' });
    expect(at(m, cpuWrite(A, 5n))).toEqual({ result: okv(), rule: 'IOMMUFD-HOST-ENV' });
    expect(at(m, cpuRead(A)).result).toEqual(token(5n));
    expect(at(m, munmap(A, P)).result).toEqual(okv());
    expect(at(m, cpuRead(A))).toEqual({ result: err('EFAULT'), rule: 'IOMMUFD-HOST-ENV' });
    expect(at(m, mmap(A + 1n, P))).toEqual({ result: err('EINVAL'), rule: 'IOMMUFD-HOST-ENV' });
  });

  test('IOMMUFD-HOST-PIN: pinned pages keep their frames; lazy pages follow the user range until pinned', () => {
    const m = fresh();
    run(m, [mmap(A, P), cpuWrite(A, 1n), ...attached, map(IOVA, A, P)]);
    run(m, [munmap(A, P), mmap(A, P), cpuWrite(A, 2n)]);
    expect(at(m, dmaRead(IOVA))).toEqual({ result: token(1n), rule: 'IOMMUFD-HOST-PIN' });
    expect(at(m, dmaWrite(IOVA, 3n)).result).toEqual(okv());
    expect(at(m, cpuRead(A)).result).toEqual(token(2n));
    // Lazy: the frame is the one behind the range when the attach pins it.
    run(m, [alloc(1), map(IOVA, A, P, FIXED | R | W, 1), munmap(A, P), mmap(A, P), cpuWrite(A, 4n), bind(1), attach(1, 1)]);
    expect(at(m, dmaRead(IOVA, 1)).result).toEqual(token(4n));
  });
});

describe('IOMMU_GET_HW_INFO', () => {
  test('IOMMUFD-HWINFO: a bound device reports its data type; an unbound one has no id (ENOENT)', () => {
    const m = fresh();
    expect(at(m, hwInfo(0))).toEqual({ result: err('ENOENT'), rule: 'IOMMUFD-HWINFO' });
    run(m, [bind(0), bind(1)]);
    const e = m.apply(hwInfo(1));
    expect(e.rule).toBe('IOMMUFD-HWINFO');
    expect(e.judge?.(ok<'hwInfo'>({ dataType: 2, capabilities: 1n }))).toBeNull();
    expect(e.judge?.(ok<'hwInfo'>({ dataType: 1, capabilities: 0n }))?.rule).toBe('IOMMUFD-HWINFO');
    expect(e.judge?.(err('ENOENT'))?.rule).toBe('IOMMUFD-HWINFO');
    expect(m.apply(hwInfo(0)).result).toEqual(ok<'hwInfo'>({ dataType: 1, capabilities: 0n }));
  });
});
