// SystemModel.blame: which rule a backend's wrong answer breaks. Each test applies ops to a
// fresh model, takes the expectation of the last one and hands blame() a wrong `actual`.
import { describe, expect, test } from 'vitest';
import {
  A, GAP, INVALIDATE, IOVA, P, R, RW, SET_VADDR, TOP,
  counters, cpuWrite, dmaRead, dmaWrite, dumpMappings, err, fresh, getInfo, locked, map, mapping, mappings, mmap, okv,
  rlimit, setup, token, unmap, unmapped,
} from './helpers.ts';

describe('blame', () => {
  test('T1-MAP-OVERLAP: a map expected to succeed but answered EEXIST is blamed on T1-MAP-OVERLAP', () => {
    const m = fresh();
    setup(m, [mmap(A, P)]);
    const op = map(IOVA, A, P);
    const e = m.apply(op);
    expect(e).toEqual({ result: okv(), rule: 'T1-MAP-EXACT' });
    expect(m.blame(op, e, err('EEXIST'))).toBe('T1-MAP-OVERLAP');
  });

  test('T1-MAP-ENTRY-LIMIT, T1-MAP-RLIMIT, T1-MAP-UNBACKED: a wrong errno on a map due to succeed names the check it wrongly applied', () => {
    const m = fresh();
    setup(m, [mmap(A, P)]);
    const op = map(IOVA, A, P);
    const e = m.apply(op);
    expect(m.blame(op, e, err('ENOSPC'))).toBe('T1-MAP-ENTRY-LIMIT');
    expect(m.blame(op, e, err('ENOMEM'))).toBe('T1-MAP-RLIMIT');
    expect(m.blame(op, e, err('EFAULT'))).toBe('T1-MAP-UNBACKED');
    // an errno no check explains falls back to the deciding rule
    expect(m.blame(op, e, err('EINVAL'))).toBe('T1-MAP-EXACT');
  });

  test('T1-VADDR-UPDATE: an update from proc 1 due to succeed but answered ENOMEM or EFAULT breaks the update rule, not the plain-map pinning rules', () => {
    const m = fresh();
    setup(m, [mmap(A, 2n * P), map(IOVA, A, 2n * P), unmap(IOVA, 2n * P, INVALIDATE), rlimit(2n * P, 1)]);
    const op = map(IOVA, A, 2n * P, SET_VADDR, 1);
    const e = m.apply(op);
    expect(e).toEqual({ result: okv(), rule: 'T1-VADDR-UPDATE' });
    // T1-VADDR-UPDATE owns the ENOMEM of the charge move (its limit is exactly reached here) and
    // says the pinned frames do not change (no pinning of the new vaddr, hence no EFAULT).
    expect(m.blame(op, e, err('ENOMEM'))).toBe('T1-VADDR-UPDATE');
    expect(m.blame(op, e, err('EFAULT'))).toBe('T1-VADDR-UPDATE');
  });

  test('T1-MAP-WRAP: a map due to fail but answered with success breaks the deciding check', () => {
    const m = fresh();
    const op = map(TOP - P, A, 2n * P);
    const e = m.apply(op);
    expect(e).toEqual({ result: err('EINVAL'), rule: 'T1-MAP-WRAP', accept: [err('EOVERFLOW')] });
    expect(m.blame(op, e, okv())).toBe('T1-MAP-WRAP');
  });

  test('T1-MAP-CHECK-ORDER: a map answered with a later check\'s errno is blamed on the first failing check (the order is in alsoBroken)', () => {
    const m = fresh();
    setup(m, [mmap(A, P), map(0xfedff000n, A, P)]);
    const op = map(0xfedff000n, A, 2n * P);
    const e = m.apply(op);
    expect(e).toEqual({ result: err('EEXIST'), rule: 'T1-MAP-OVERLAP', alsoBroken: ['T1-MAP-CHECK-ORDER'], laterErrnos: ['EINVAL', 'EFAULT'] });
    expect(m.blame(op, e, err('EINVAL'))).toBe('T1-MAP-OVERLAP');
    expect(m.blame(op, e, err('EFAULT'))).toBe('T1-MAP-OVERLAP');
  });

  test('T1-MAP-OVERLAP, T1-MAP-ENTRY-LIMIT, T1-MAP-RLIMIT, T1-MAP-UNBACKED, T1-MAP-WRAP: a map due to fail, answered with the errno of a check that passes here, breaks that check\'s rule', () => {
    const m = fresh();
    setup(m, [mmap(A, P), map(IOVA, A, P)]);
    const gap = map(GAP, A, P); // only the IOVA range check fails
    const e = m.apply(gap);
    expect(e).toEqual({ result: err('EINVAL'), rule: 'T1-MAP-IOVA-RANGE' });
    expect(m.blame(gap, e, err('EEXIST'))).toBe('T1-MAP-OVERLAP');
    expect(m.blame(gap, e, err('ENOSPC'))).toBe('T1-MAP-ENTRY-LIMIT');
    expect(m.blame(gap, e, err('ENOMEM'))).toBe('T1-MAP-RLIMIT');
    expect(m.blame(gap, e, err('EFAULT'))).toBe('T1-MAP-UNBACKED');
    expect(m.blame(gap, e, err('EOVERFLOW'))).toBe('T1-MAP-WRAP');
    expect(m.blame(gap, e, err('ENOENT'))).toBe('T1-MAP-IOVA-RANGE'); // no check of a plain map gives it
    const again = map(IOVA, A, P); // only the overlap check fails
    const o = m.apply(again);
    expect(o).toEqual({ result: err('EEXIST'), rule: 'T1-MAP-OVERLAP' });
    expect(m.blame(again, o, err('ENOSPC'))).toBe('T1-MAP-ENTRY-LIMIT');
    expect(m.blame(again, o, err('EFAULT'))).toBe('T1-MAP-UNBACKED');
    expect(m.blame(again, o, err('EINVAL'))).toBe('T1-MAP-OVERLAP'); // EINVAL names too many checks to pick one
  });

  test('T1-MAP-RLIMIT, T1-MAP-UNBACKED: pinning answered with the other pinning errno breaks that errno\'s rule, unless pinning gives it too past the first failure', () => {
    const m = fresh();
    setup(m, [mmap(A, P), mmap(A + 2n * P, 4n * P)]); // A + P is a hole
    const op = map(IOVA, A, 6n * P);
    const free = m.apply(op);
    expect(free).toEqual({ result: err('EFAULT'), rule: 'T1-MAP-UNBACKED' });
    expect(m.blame(op, free, err('ENOMEM'))).toBe('T1-MAP-RLIMIT'); // no limit at all
    setup(m, [rlimit(2n * P)]); // the page before the hole fits, the 5 pages of the range do not
    const tight = m.apply(op);
    expect(tight).toEqual({ result: err('EFAULT'), rule: 'T1-MAP-UNBACKED', alsoBroken: ['T1-MAP-CHECK-ORDER'], laterErrnos: ['ENOMEM'] });
    expect(m.blame(op, tight, err('ENOMEM'))).toBe('T1-MAP-UNBACKED');
    setup(m, [rlimit(0n)]);
    const full = map(IOVA, A + 2n * P, 4n * P); // backed throughout: only the limit fails
    const f = m.apply(full);
    expect(f).toEqual({ result: err('ENOMEM'), rule: 'T1-MAP-RLIMIT' });
    expect(m.blame(full, f, err('EFAULT'))).toBe('T1-MAP-UNBACKED');
    // the entry limit and the IOVA range come before pinning: pinning's errnos are order bugs there
    const gap = map(GAP, A, 6n * P);
    const g = m.apply(gap);
    expect(g).toEqual({ result: err('EINVAL'), rule: 'T1-MAP-IOVA-RANGE', alsoBroken: ['T1-MAP-CHECK-ORDER'], laterErrnos: ['ENOMEM', 'EFAULT'] });
    expect(m.blame(gap, g, err('ENOMEM'))).toBe('T1-MAP-IOVA-RANGE');
    expect(m.blame(gap, g, err('EFAULT'))).toBe('T1-MAP-IOVA-RANGE');
    expect(m.blame(gap, g, err('EEXIST'))).toBe('T1-MAP-OVERLAP');
  });

  test('T1-VADDR-UPDATE, T1-VADDR-UPDATE-ERRNO: an update answered with another errno breaks the rule of the step that gives it', () => {
    const m = fresh();
    setup(m, [mmap(A, 2n * P), map(IOVA, A, 2n * P), rlimit(0n, 1)]);
    const valid = map(IOVA, A, 2n * P, SET_VADDR, 1); // the mapping is still valid
    const v = m.apply(valid);
    expect(v).toEqual({ result: err('EINVAL'), rule: 'T1-VADDR-UPDATE-ERRNO' });
    expect(m.blame(valid, v, err('ENOMEM'))).toBe('T1-VADDR-UPDATE'); // it moved the charge instead
    expect(m.blame(valid, v, err('ENOENT'))).toBe('T1-VADDR-UPDATE-ERRNO'); // the lookup answers both
    setup(m, [unmap(IOVA, 2n * P, INVALIDATE)]);
    const move = m.apply(valid);
    expect(move).toEqual({ result: err('ENOMEM'), rule: 'T1-VADDR-UPDATE' });
    expect(m.blame(valid, move, err('EINVAL'))).toBe('T1-VADDR-UPDATE-ERRNO');
    expect(m.blame(valid, move, err('EFAULT'))).toBe('T1-VADDR-UPDATE');
  });

  test('T1-UNMAP-ARGS, T1-UNMAP-EMPTY, T1-VADDR-INVALIDATE: an unmap answered with another errno breaks the rule of the check that gives it', () => {
    const m = fresh();
    setup(m, [mmap(A, 2n * P), map(IOVA, A, 2n * P)]);
    const odd = unmap(IOVA + 16n * P, P + 0x800n); // misaligned size, nothing mapped there
    const o = m.apply(odd);
    expect(o).toEqual({ result: err('EINVAL'), rule: 'T1-UNMAP-ARGS' });
    expect(m.blame(odd, o, err('ENOENT'))).toBe('T1-UNMAP-EMPTY'); // answered "nothing there"
    const bisect = unmap(IOVA, P);
    const b = m.apply(bisect);
    expect(b).toEqual({ result: err('EINVAL'), rule: 'T1-UNMAP-V2-BISECT' });
    expect(m.blame(bisect, b, err('ENOENT'))).toBe('T1-UNMAP-V2-BISECT'); // iommufd's errno for the same check
    expect(m.blame(bisect, b, err('EOVERFLOW'))).toBe('T1-UNMAP-ARGS'); // the wrap check, which passes here
    expect(m.blame(bisect, b, err('EBUSY'))).toBe('T1-UNMAP-V2-BISECT');
    setup(m, [unmap(IOVA, 2n * P, INVALIDATE)]);
    const twice = unmap(IOVA, 2n * P, INVALIDATE);
    const t = m.apply(twice);
    expect(t).toEqual({ result: err('EINVAL'), rule: 'T1-VADDR-INVALIDATE-ATOMIC' });
    expect(m.blame(twice, t, err('EBUSY'))).toBe('T1-VADDR-INVALIDATE'); // the emulated-group check
    const whole = unmap(IOVA, 2n * P);
    const w = m.apply(whole);
    expect(w).toEqual({ result: unmapped(2n * P), rule: 'T1-UNMAP-V2-EXACT' });
    expect(m.blame(whole, w, err('EOVERFLOW'))).toBe('T1-UNMAP-ARGS');
    expect(m.blame(whole, w, err('ENOENT'))).toBe('T1-UNMAP-V2-EXACT');
  });

  test('T1-NO-STALE: a dmaRead expecting EFAULT after an unmap but answered with a token is blamed on T1-NO-STALE', () => {
    const m = fresh();
    setup(m, [mmap(A, P), cpuWrite(A, 0x42n), map(IOVA, A, P), unmap(IOVA, P)]);
    const op = dmaRead(IOVA);
    const e = m.apply(op);
    expect(e).toEqual({ result: err('EFAULT'), rule: 'T1-NO-STALE' });
    expect(m.blame(op, e, token(0x42n))).toBe('T1-NO-STALE');
    const w = dmaWrite(IOVA, 0x43n);
    const ew = m.apply(w);
    expect(ew).toEqual({ result: err('EFAULT'), rule: 'T1-NO-STALE' });
    expect(m.blame(w, ew, okv())).toBe('T1-NO-STALE');
  });

  test('T1-NO-STALE: a dump still listing a removed mapping is blamed on T1-NO-STALE; one missing a live mapping on the unmap', () => {
    const m = fresh();
    setup(m, [mmap(A, P), map(IOVA, A, P), map(IOVA + P, A, P), unmap(IOVA, P)]);
    const op = dumpMappings;
    const e = m.apply(op);
    expect(e).toEqual({ result: mappings(mapping(IOVA + P, P)), rule: 'T1-UNMAP-V2-EXACT' });
    expect(m.blame(op, e, mappings(mapping(IOVA, P), mapping(IOVA + P, P)))).toBe('T1-NO-STALE');
    expect(m.blame(op, e, mappings())).toBe('T1-UNMAP-V2-EXACT');
  });

  test('T1-MAP-EXACT: a dmaRead answered EFAULT right after a map is blamed on T1-MAP-EXACT', () => {
    const m = fresh();
    setup(m, [mmap(A, P), cpuWrite(A, 0x1n), map(IOVA, A, P)]);
    const op = dmaRead(IOVA);
    const e = m.apply(op);
    expect(e).toEqual({ result: token(0x1n), rule: 'T1-MAP-EXACT' });
    expect(m.blame(op, e, err('EFAULT'))).toBe('T1-MAP-EXACT');
    expect(m.blame(op, e, token(0x2n))).toBe('T1-MAP-EXACT');
  });

  test('T1-MAP-EXACT: a device write let through a live READ-only mapping breaks T1-MAP-EXACT, even right after an unmap elsewhere', () => {
    const m = fresh();
    setup(m, [mmap(A, P), map(IOVA, A, P), map(IOVA + P, A, P, R), unmap(0n, IOVA + P)]);
    const op = dmaWrite(IOVA + P, 0x44n);
    const e = m.apply(op);
    expect(e).toEqual({ result: err('EFAULT'), rule: 'T1-MAP-EXACT' });
    expect(m.blame(op, e, okv())).toBe('T1-MAP-EXACT');
    // where nothing is mapped, the unmap that just removed it is blamed
    const gone = dmaWrite(IOVA, 0x45n);
    const g = m.apply(gone);
    expect(g).toEqual({ result: err('EFAULT'), rule: 'T1-NO-STALE' });
    expect(m.blame(gone, g, okv())).toBe('T1-NO-STALE');
  });

  test('T1-UNMAP-V2-BISECT: a dmaRead answered EFAULT after a refused bisecting unmap is blamed on T1-UNMAP-V2-BISECT', () => {
    const m = fresh();
    setup(m, [mmap(A, 2n * P), map(IOVA, A, 2n * P)]);
    expect(m.apply(unmap(IOVA, P))).toEqual({ result: err('EINVAL'), rule: 'T1-UNMAP-V2-BISECT' });
    const op = dmaRead(IOVA + P);
    const e = m.apply(op);
    expect(m.blame(op, e, err('EFAULT'))).toBe('T1-UNMAP-V2-BISECT');
  });

  test('T1-MAP-ATOMIC: counters or a dmaRead contradicting a failed map are blamed on T1-MAP-ATOMIC', () => {
    const m = fresh();
    setup(m, [mmap(A, 2n * P)]);
    expect(m.apply(map(IOVA, A, 4n * P))).toEqual({ result: err('EFAULT'), rule: 'T1-MAP-UNBACKED' });
    const c = m.apply(counters);
    expect(c).toEqual({ result: locked(0n, 0n), rule: 'T1-MAP-ATOMIC' });
    expect(m.blame(counters, c, locked(2n, 0n))).toBe('T1-MAP-ATOMIC');
    const op = dmaRead(IOVA);
    const e = m.apply(op);
    expect(m.blame(op, e, token(0n))).toBe('T1-MAP-ATOMIC');
  });

  test('T1-ACCT-UNCHARGE: wrong counters after a removal are blamed on T1-ACCT-UNCHARGE', () => {
    const m = fresh();
    setup(m, [mmap(A, P), map(IOVA, A, P, RW, 0), unmap(IOVA, P, 0, 1)]);
    const c = m.apply(counters);
    expect(c).toEqual({ result: locked(0n, 0n), rule: 'T1-ACCT-UNCHARGE' });
    expect(m.blame(counters, c, locked(1n, 0n))).toBe('T1-ACCT-UNCHARGE');
  });

  test('T1-INFO-DMA-AVAIL, T1-INFO-GEOMETRY: a wrong DMA_AVAIL is blamed on its own rule, a wrong geometry on T1-INFO-GEOMETRY', () => {
    const m = fresh();
    setup(m, [mmap(A, P), map(IOVA, A, P)]);
    const e = m.apply(getInfo);
    const good = e.result as Extract<typeof e.result, { dmaAvail: bigint }>;
    expect(good.dmaAvail).toBe(31n);
    expect(m.blame(getInfo, e, { ...good, dmaAvail: 32n })).toBe('T1-INFO-DMA-AVAIL');
    expect(m.blame(getInfo, e, { ...good, pgsizes: 0x1000n })).toBe('T1-INFO-GEOMETRY');
  });

  test('T1-UNMAP-V1-WHOLE: an unmap answered with the wrong size is blamed on the deciding rule', () => {
    const m = fresh('type1v1');
    setup(m, [mmap(A, 4n * P), map(IOVA, A, 4n * P)]);
    const op = unmap(IOVA, P);
    const e = m.apply(op);
    expect(e).toEqual({ result: unmapped(4n * P), rule: 'T1-UNMAP-V1-WHOLE' });
    expect(m.blame(op, e, unmapped(P))).toBe('T1-UNMAP-V1-WHOLE');
    expect(m.blame(op, e, err('EINVAL'))).toBe('T1-UNMAP-V1-WHOLE');
  });
});
