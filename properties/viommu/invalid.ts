// Operations outside the declared geometry, one argument wrong at a time: each must fail with
// EINVAL and change nothing (VIOMMU-OP-ARGS, VIOMMU-REG-ARGS). Every value is still a u64 the
// wire carries; "beyond the top" is a range that ends past 2^iovaBits (or wraps past 2^64 on a
// 64-bit space, where no address is beyond it).
import fc from 'fast-check';
import { permExpressible, tableSpans } from '../../spec/viommu/backend.ts';
import type { Op, Perm } from '../../spec/viommu/ops.ts';
import { U64_MAX } from '../../spec/u64.ts';
import { has, type Scene } from './scene.ts';
import { gateOp, mapOp, NOTIFIER_ID, registerOp, unmapOp } from './steps.ts';
import { isTables, posArb } from './window.ts';

type Arb<T> = fc.Arbitrary<T>;

/** An address at or past the top, or null on a 64-bit space. */
const pastTop = (scene: Scene): bigint | null => (scene.w.top <= U64_MAX ? scene.w.top : null);

/** A range that runs past the top: from the last granule, two granules long. */
const overTop = (scene: Scene): { iova: bigint; size: bigint } => ({ iova: scene.w.top - scene.w.granule, size: 2n * scene.w.granule });

/** Page sizes nobody declared: half and twice the granule, 8 KiB, 1 MiB, and the next level up. */
function undeclaredPages(scene: Scene): bigint[] {
  const { pageSizes } = scene.info;
  const g = scene.w.granule;
  const next = pageSizes[pageSizes.length - 1]! * 512n;
  return [g / 2n, g * 2n, 0x2000n, 0x100000n, next].filter((p) => p > 0n && p <= U64_MAX && !pageSizes.includes(p));
}

/** Permissions the tables cannot carry (BackendInfo.perms), of `perms`. */
const inexpressible = (scene: Scene, perms: Perm[]): Perm[] => perms.filter((p) => !permExpressible(scene.info, p));

export function badMap(scene: Scene): Arb<Op> {
  const { info, w } = scene;
  const g = w.granule;
  return fc.tuple(mapOp(scene), fc.nat()).map(([op, n]): Op => {
    const wrong: Op[] = [
      { ...op, iova: op.iova + g / 2n },
      { ...op, pa: op.pa + g / 2n },
      { ...op, size: op.size + g / 2n },
      { ...op, size: 0n },
      { ...op, perm: 'none' },
      { ...op, ...overTop(scene), page: g },
      { ...op, pa: U64_MAX + 1n - g, size: 2n * g, page: g },
      { ...op, domain: info.domains },
      { ...op, domain: info.domains + 1000 },
      ...undeclaredPages(scene).map((page): Op => ({ ...op, page })),
      ...inexpressible(scene, ['r', 'w']).map((perm): Op => ({ ...op, perm })),
    ];
    return wrong[n % wrong.length]!;
  });
}

export function badUnmap(scene: Scene): Arb<Op> {
  const g = scene.w.granule;
  return fc.tuple(unmapOp(scene), fc.nat()).map(([op, n]): Op => {
    const wrong: Op[] = [
      { ...op, size: 0n }, { ...op, iova: op.iova + g / 2n }, { ...op, size: op.size + g / 2n },
      { ...op, ...overTop(scene) }, { ...op, domain: scene.info.domains },
    ];
    return wrong[n % wrong.length]!;
  });
}

/** A span that is not a directory's (a leaf, 1 MiB, 2^iovaBits), a misaligned iova, one past the top. */
export function badProtect(scene: Scene): Arb<Op> | null {
  if (!isTables(scene.info)) return null;
  const spans = tableSpans(scene.info);
  const g = scene.w.granule;
  const notSpans = [g, 0x100000n, scene.w.top].filter((s) => s <= U64_MAX && !spans.includes(s));
  const top = pastTop(scene);
  const good = spans[0];
  const cases: Arb<Op>[] = [
    fc.tuple(fc.constantFrom(...notSpans), posArb(scene.w, g)).map(([span, iova]): Op => ({ op: 'protect', domain: 0, iova: iova - (iova % span), span, perm: 'r' })),
    fc.constant<Op>({ op: 'protect', domain: scene.info.domains, iova: 0n, span: good ?? g, perm: 'r' }),
  ];
  if (good !== undefined) cases.push(posArb(scene.w, good).map((iova): Op => ({ op: 'protect', domain: 0, iova: iova + g, span: good, perm: 'none' })));
  if (good !== undefined && top !== null) cases.push(fc.constant<Op>({ op: 'protect', domain: 0, iova: top, span: good, perm: 'rw' }));
  for (const perm of inexpressible(scene, ['none', 'r', 'w'])) {
    if (good !== undefined) cases.push(posArb(scene.w, good).map((iova): Op => ({ op: 'protect', domain: 0, iova, span: good, perm })));
  }
  return fc.oneof(...cases);
}

export function badInvalidate(scene: Scene): Arb<Op> {
  const { info, w } = scene;
  const g = w.granule;
  return posArb(w, g).chain((iova) => fc.constantFrom<Op[]>(
    { op: 'invalidate', scope: 'range', domain: 0, iova, size: 0n },
    { op: 'invalidate', scope: 'range', domain: 0, iova: iova + g / 2n, size: g },
    { op: 'invalidate', scope: 'range', domain: 0, iova, size: g + g / 2n },
    { op: 'invalidate', scope: 'range', domain: 0, ...overTop(scene) },
    { op: 'invalidate', scope: 'range', domain: info.domains, iova, size: g },
    { op: 'invalidate', scope: 'domain', domain: info.domains },
    { op: 'invalidate', scope: 'context', endpoint: info.endpoints },
  ));
}

export function badGate(scene: Scene): Arb<Op> {
  const g = scene.w.granule;
  return fc.tuple(gateOp(scene), fc.nat()).map(([op, n]): Op => {
    const wrong: Op[] = [{ ...op, size: 0n }, { ...op, iova: op.iova + g / 2n }, { ...op, size: op.size + g / 2n }, { ...op, ...overTop(scene) }];
    return wrong[n % wrong.length]!;
  });
}

/** DMA and translate past the top, from an unknown endpoint, of an unknown index. */
export function badProbe(scene: Scene): Arb<Op> {
  const { info } = scene;
  const top = pastTop(scene);
  const ops: Op[] = [
    { op: 'dma', endpoint: info.endpoints, iova: 0n, access: 'read', secure: false },
    { op: 'translate', endpoint: info.endpoints, index: 0, iova: 0n, flag: 'none' },
    { op: 'translate', endpoint: 0, index: info.indexes, iova: 0n, flag: 'none' },
  ];
  if (top !== null) ops.push({ op: 'dma', endpoint: 0, iova: top, access: 'write', secure: true }, { op: 'translate', endpoint: 0, index: 0, iova: U64_MAX, flag: 'none' });
  return fc.constantFrom(...ops);
}

export function badBinding(scene: Scene): Arb<Op> {
  const { info } = scene;
  return fc.constantFrom<Op[]>(
    { op: 'attach', endpoint: info.endpoints, domain: 0 },
    { op: 'attach', endpoint: 0, domain: info.domains },
    { op: 'detach', endpoint: info.endpoints },
  );
}

/**
 * A register with one argument wrong: flags none or unknown, start > end, start or end + 1
 * off the granule, end at or past the top, an unknown index or endpoint (VIOMMU-REG-ARGS).
 */
export function badRegister(scene: Scene): Arb<Op> {
  const { info, w } = scene;
  const g = w.granule;
  const top = pastTop(scene);
  return fc.tuple(registerOp(scene, fc.constant(1)), fc.nat(), fc.constantFrom(0, 8, 9, 16, 255)).map(([op, n, flags]): Op => {
    const wrong: Op[] = [
      { ...op, flags },
      op.start > 0n ? { ...op, end: op.start - 1n } : { ...op, start: g, end: g - 1n },
      { ...op, start: op.start + g / 2n },
      { ...op, end: op.end - g / 2n },
      { ...op, index: info.indexes },
      { ...op, endpoint: info.endpoints },
      ...(top !== null ? [{ ...op, end: top - 1n + g }, { ...op, end: U64_MAX }] : []),
    ];
    return wrong[n % wrong.length]!;
  });
}

/** Unregister and replay of ids the cases never register. */
export const unknownNotifier: Arb<Op> = fc.tuple(fc.integer({ min: 6, max: 9 }), fc.boolean())
  .map(([notifier, replay]): Op => (replay ? { op: 'replay', notifier } : { op: 'unregister', notifier }));

/** Every invalid operation the backend has the capability for. */
export function badOps(scene: Scene): Arb<Op>[] {
  const { info } = scene;
  const out: Arb<Op>[] = [];
  if (has(info, 'domains')) out.push(badMap(scene), badUnmap(scene), badBinding(scene));
  if (has(info, 'tables')) {
    const p = badProtect(scene);
    if (p) out.push(p);
    out.push(badInvalidate(scene));
  }
  if (has(info, 'lut')) out.push(badGate(scene));
  if (has(info, 'dma') || has(info, 'translate')) out.push(badProbe(scene));
  if (has(info, 'notifiers')) out.push(badRegister(scene), unknownNotifier, NOTIFIER_ID.map((notifier): Op => ({ op: 'replay', notifier })));
  return out;
}
