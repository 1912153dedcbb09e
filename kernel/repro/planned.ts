// A planned case of kernel/repro/record.ts: an operation sequence in wire form, placed at the
// arena's start `a`, with the rule it must break at its last step (null for a control).
export interface Planned { name: string; property: string; rule: string | null; ops(a: bigint): Record<string, unknown>[] }

export const x = (v: bigint): string => `0x${v.toString(16)}`;
