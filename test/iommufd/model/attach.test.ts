// The model against the device rules (spec/iommufd/rules.ts, group ATTACH).
import { describe, expect, test } from 'vitest';
import { ok } from '../../../spec/iommufd/ops.ts';
import {
  A, B, FIXED, INFO, IOVA, MSI, P, RW, U64_MAX, alloc, allow, at, attach, attached, bind, counts, counters, cpuWrite,
  detach, dmaRead, err, fresh, map, mmap, munmap, okv, ranges, rlimit, run, token, uncapped,
} from './helpers.ts';

const full = ok<'iovaRanges'>({ ranges: [{ start: 0n, last: U64_MAX }], alignment: 1n });

describe('devices', () => {
  test('IOMMUFD-BIND: attach and detach of an unbound device, and a second bind, fail with EINVAL', () => {
    const m = fresh();
    run(m, [alloc(0)]);
    expect(at(m, attach(0, 0))).toEqual({ result: err('EINVAL'), rule: 'IOMMUFD-BIND' });
    // Unbound comes before the IOAS lookup.
    expect(at(m, attach(0, 3))).toEqual({ result: err('EINVAL'), rule: 'IOMMUFD-BIND' });
    expect(at(m, detach(0))).toEqual({ result: err('EINVAL'), rule: 'IOMMUFD-BIND' });
    expect(at(m, bind(0))).toEqual({ result: okv(), rule: 'IOMMUFD-BIND' });
    expect(at(m, bind(0))).toEqual({ result: err('EINVAL'), rule: 'IOMMUFD-BIND' });
    expect(at(m, attach(0, 0)).result).toEqual(okv());
  });

  test('IOMMUFD-ATTACH-RESERVE: the aperture\'s complement and the device\'s regions are reserved while attached', () => {
    const m = fresh();
    run(m, [alloc(0), bind(1)]);
    expect(at(m, attach(1, 0)).result).toEqual(okv());
    expect(at(m, ranges())).toEqual({ result: ok<'iovaRanges'>({ ranges: [{ start: 0x100000n, last: (1n << 39n) - 1n }], alignment: P }), rule: 'IOMMUFD-ATTACH-RESERVE' });
    run(m, [bind(0), attach(0, 0)]);
    expect(at(m, ranges()).result).toEqual(ok<'iovaRanges'>({
      ranges: [{ start: 0x100000n, last: MSI.start - 1n }, { start: MSI.last + 1n, last: (1n << 39n) - 1n }], alignment: P,
    }));
    run(m, [detach(1)]);
    expect(at(m, ranges()).result).toEqual(ok<'iovaRanges'>({
      ranges: [{ start: 0n, last: MSI.start - 1n }, { start: MSI.last + 1n, last: (1n << 48n) - 1n }], alignment: P,
    }));
    run(m, [detach(0)]);
    expect(at(m, ranges()).result).toEqual(full);
  });

  test('IOMMUFD-ATTACH-CONFLICT: a reservation meeting an area or an allowed range fails with EADDRINUSE and changes nothing', () => {
    const m = fresh();
    run(m, [mmap(A, P), alloc(0), bind(0), bind(1), map(MSI.start, A, P)]);
    expect(at(m, attach(0, 0))).toEqual({ result: err('EADDRINUSE'), rule: 'IOMMUFD-ATTACH-CONFLICT' });
    expect(at(m, ranges()).result).toEqual(full);
    expect(at(m, attach(1, 0)).result).toEqual(okv());
    const n = fresh();
    run(n, [alloc(0), bind(1), allow([{ start: 0x1000n, last: 0x1fffn }])]);
    expect(at(n, attach(1, 0))).toEqual({ result: err('EADDRINUSE'), rule: 'IOMMUFD-ATTACH-CONFLICT' });
  });

  test('IOMMUFD-ATTACH-CONFLICT: a first attach reserves the device\'s regions before filling; a replace fills first', () => {
    // IOAS 1 holds an area in the MSI window and an unbacked one: both conflicts at once.
    const setup = [alloc(0), alloc(1), map(MSI.start, A, P, FIXED | RW, 1), map(IOVA, B, P, FIXED | RW, 1), bind(0)];
    const m = fresh();
    run(m, setup);
    expect(at(m, attach(0, 1))).toEqual({ result: err('EADDRINUSE'), rule: 'IOMMUFD-ATTACH-CONFLICT' });
    const n = fresh();
    run(n, [...setup, attach(0, 0)]);
    expect(at(n, attach(0, 1))).toEqual({ result: err('EFAULT'), rule: 'IOMMUFD-ATTACH-FILL' });
  });

  test('IOMMUFD-ATTACH-ALIGN: areas must fit the domain\'s page; a page above PAGE_SIZE cannot be used', () => {
    const m = fresh();
    run(m, [alloc(0), bind(0), map(IOVA + 0x800n, A, 0x800n)]);
    expect(at(m, attach(0, 0))).toEqual({ result: err('EADDRINUSE'), rule: 'IOMMUFD-ATTACH-ALIGN' });
    run(m, [alloc(1), map(IOVA, A + 0x800n, P, FIXED | RW, 1)]);
    expect(at(m, attach(0, 1))).toEqual({ result: err('EADDRINUSE'), rule: 'IOMMUFD-ATTACH-ALIGN' });
    const big = fresh({ ...INFO, devices: [{ ...INFO.devices[0]!, pgsizes: 0x200000n }] });
    run(big, [alloc(0), bind(0)]);
    expect(at(big, attach(0, 0))).toEqual({ result: err('EINVAL'), rule: 'IOMMUFD-ATTACH-ALIGN' });
  });

  test('IOMMUFD-ATTACH-FILL: the first domain pins every area; EFAULT or ENOMEM leave everything as it was', () => {
    const m = fresh();
    run(m, [...uncapped, mmap(A, 2n * P), cpuWrite(A, 3n), alloc(0), map(IOVA, A, 2n * P), map(IOVA + 4n * P, B, P), bind(0)]);
    expect(at(m, attach(0, 0))).toEqual({ result: err('EFAULT'), rule: 'IOMMUFD-ATTACH-FILL' });
    expect(at(m, counters)).toEqual({ result: counts(0n, 0n), rule: 'IOMMUFD-ATTACH-FILL' });
    expect(at(m, dmaRead(IOVA)).result).toEqual(err('EFAULT'));
    expect(at(m, ranges()).result).toEqual(full);
    run(m, [mmap(B, P), rlimit(2n * P)]);
    expect(at(m, attach(0, 0))).toEqual({ result: err('ENOMEM'), rule: 'IOMMUFD-ATTACH-FILL' });
    run(m, [rlimit(3n * P)]);
    expect(at(m, attach(0, 0))).toEqual({ result: okv(), rule: 'IOMMUFD-ATTACH-FILL' });
    expect(at(m, counters).result).toEqual(counts(0n, 3n));
    expect(at(m, dmaRead(IOVA)).result).toEqual(token(3n));
    // A device of the same group joins the domain: nothing more is pinned.
    run(m, [bind(2)]);
    expect(at(m, attach(2, 0)).result).toEqual(okv());
    expect(at(m, counters).result).toEqual(counts(0n, 3n));
  });

  test('IOMMUFD-ATTACH-FILL: a failed replace leaves the device where it was', () => {
    const m = fresh();
    run(m, [mmap(A, P), cpuWrite(A, 4n), ...attached, map(IOVA, A, P), alloc(1), map(IOVA, B, P, FIXED | RW, 1)]);
    expect(at(m, attach(0, 1))).toEqual({ result: err('EFAULT'), rule: 'IOMMUFD-ATTACH-FILL' });
    expect(at(m, dmaRead(IOVA)).result).toEqual(token(4n));
  });

  test('IOMMUFD-ATTACH-REPLACE: the device moves to the new IOAS; the old one is unpinned; same IOAS is a no-op', () => {
    const m = fresh();
    run(m, [...uncapped, mmap(A, P), cpuWrite(A, 1n), mmap(B, 2n * P), cpuWrite(B, 2n), ...attached, map(IOVA, A, P),
      alloc(1), map(IOVA, B, 2n * P, FIXED | RW, 1)]);
    expect(at(m, attach(0, 0))).toEqual({ result: okv(), rule: 'IOMMUFD-ATTACH-REPLACE' });
    expect(at(m, attach(0, 1))).toEqual({ result: okv(), rule: 'IOMMUFD-ATTACH-REPLACE' });
    expect(at(m, dmaRead(IOVA))).toEqual({ result: token(2n), rule: 'IOMMUFD-ATTACH-REPLACE' });
    expect(at(m, counters).result).toEqual(counts(0n, 2n));
    expect(at(m, destroy0()).result).toEqual(okv());
  });

  test('IOMMUFD-ATTACH-GROUP: a group is attached to one IOAS; a replace moves all its attached devices', () => {
    const m = fresh();
    run(m, [mmap(A, P), cpuWrite(A, 1n), mmap(B, P), cpuWrite(B, 2n), ...attached, map(IOVA, A, P), alloc(1), map(IOVA, B, P, FIXED | RW, 1), bind(2)]);
    expect(at(m, attach(2, 1))).toEqual({ result: err('EINVAL'), rule: 'IOMMUFD-ATTACH-GROUP' });
    expect(at(m, attach(2, 0)).result).toEqual(okv());
    expect(at(m, attach(0, 1)).result).toEqual(okv());
    expect(at(m, dmaRead(IOVA, 2)).result).toEqual(token(2n));
  });

  test('IOMMUFD-DETACH: the device reaches nothing, the IOAS keeps its areas, unpinned; the next attach pins anew', () => {
    const m = fresh();
    run(m, [...uncapped, mmap(A, 2n * P), cpuWrite(A, 1n), ...attached, map(IOVA, A, 2n * P)]);
    expect(at(m, detach(0))).toEqual({ result: okv(), rule: 'IOMMUFD-DETACH' });
    expect(at(m, dmaRead(IOVA))).toEqual({ result: err('EFAULT'), rule: 'IOMMUFD-DETACH' });
    expect(at(m, counters)).toEqual({ result: counts(0n, 0n), rule: 'IOMMUFD-DETACH' });
    expect(at(m, ranges()).result).toEqual(full);
    expect(at(m, detach(0))).toEqual({ result: okv(), rule: 'IOMMUFD-DETACH' });
    run(m, [munmap(A, 2n * P), mmap(A, 2n * P), cpuWrite(A, 8n), attach(0, 0)]);
    expect(at(m, dmaRead(IOVA)).result).toEqual(token(8n));
    expect(at(m, counters).result).toEqual(counts(0n, 2n));
  });
});

/** DESTROY of IOAS 0, which no device uses any more after the replace. */
const destroy0 = () => ({ op: 'destroy' as const, ioas: 0 });
