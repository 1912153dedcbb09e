// Human-readable emulated-IOMMU operations and results for the terminal, one line each.
//
// An entry [iova, iova + addrMask] is written `iova+mask`, the way QEMU logs IOMMUTLBEntry,
// and its translation `->addr perm`; the target only when it is the blocked space, which is
// the exception (the MPC).
import { NOTIFIER_DEVIOTLB, NOTIFIER_MAP, NOTIFIER_UNMAP, type NotifierEvent, type Op, type Result, type TlbEntry } from './ops.ts';
import { fieldsOf, hex } from './wire.ts';

const FLAG_NAMES: [number, string][] = [[NOTIFIER_MAP, 'MAP'], [NOTIFIER_UNMAP, 'UNMAP'], [NOTIFIER_DEVIOTLB, 'DEVIOTLB']];

/** `MAP|UNMAP`; unknown bits in hex, so a malformed registration reads as what it is. */
export function formatFlags(flags: number): string {
  const names = FLAG_NAMES.filter(([bit]) => flags & bit).map(([, n]) => n);
  const unknown = flags & ~FLAG_NAMES.reduce((m, [bit]) => m | bit, 0);
  if (unknown) names.push(`0x${(unknown >>> 0).toString(16)}`);
  return names.length ? names.join('|') : '0';
}

export function formatOp(op: Op): string {
  const parts: string[] = [op.op];
  for (const [name, type] of Object.entries(fieldsOf(op))) {
    const v = (op as unknown as Record<string, unknown>)[name];
    if (name === 'scope') parts.push(String(v));
    else if (name === 'flags') parts.push(`flags=${formatFlags(v as number)}`);
    else parts.push(`${name}=${type === 'u64' ? hex(v as bigint) : String(v)}`);
  }
  return parts.join(' ');
}

const span = (e: TlbEntry): string => `${hex(e.iova)}+${hex(e.addrMask)}`;
const blocked = (e: TlbEntry): string => (e.target === 'blocked' ? ' blocked' : '');

/** A MAP always shows its translation; an UNMAP only when it carries one (VIOMMU-EVENT-FORM says it must not). */
function formatEvent(ev: NotifierEvent): string {
  const e = ev.entry;
  const to = ev.type === 'map' || e.perm !== 'none' ? `->${hex(e.translatedAddr)} ${e.perm}` : '';
  return `n${ev.notifier} ${ev.type} ${span(e)}${to}${blocked(e)}`;
}

export function formatEntry(e: TlbEntry): string {
  return `entry{${span(e)}->${hex(e.translatedAddr)} ${e.perm} ${e.target}}`;
}

const SHOWN_EVENTS = 8;

export function formatResult(r: Result): string {
  if (!r.ok) return r.errno;
  if ('events' in r) {
    if (r.events.length === 0) return 'ok';
    // A page walk may notify hundreds of leaves; a terminal line shows the ends (the case file holds all).
    if (r.events.length <= SHOWN_EVENTS) return `ok events [${r.events.map(formatEvent).join('; ')}]`;
    const head = r.events.slice(0, SHOWN_EVENTS - 2).map(formatEvent);
    const tail = r.events.slice(-2).map(formatEvent);
    return `ok ${r.events.length} events [${head.join('; ')}; ... ${r.events.length - SHOWN_EVENTS} more ...; ${tail.join('; ')}]`;
  }
  if ('entry' in r) return `ok ${formatEntry(r.entry)}`;
  if ('faults' in r) return r.faults.length ? `ok faults [${r.faults.map((f) => `e${f.endpoint} ${f.access} ${hex(f.iova)}`).join('; ')}]` : 'ok no faults';
  return r.outcome === 'memory' ? `ok memory ${hex(r.addr)}` : `ok ${r.outcome}`;
}
