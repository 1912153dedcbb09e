// The fault records an IOMMU owes (VIOMMU-DMA-FAULT-RECORD): every DMA that faulted since the
// records were last read may be recorded; one that found no translation at all must be.
import { hex } from '../../spec/u64.ts';
import type { DmaOutcome, Faults, Op, Result } from '../../spec/viommu/ops.ts';
import type { Expectation } from '../../spec/family.ts';

interface Faulted { endpoint: number; iova: bigint; access: 'read' | 'write'; certain: boolean }

const RULE = 'VIOMMU-DMA-FAULT-RECORD';

export class FaultLog {
  private faulted: Faulted[] = [];
  /** The last DMA, until its outcome is known: the backend's answer, or else the model's. */
  private last: { op: Op & { op: 'dma' }; predicted: DmaOutcome; certain: boolean } | null = null;

  constructor(private readonly granule: bigint) {}

  issued(op: Op & { op: 'dma' }, predicted: DmaOutcome, certain: boolean): void {
    this.last = { op, predicted, certain };
  }

  /** Takes the last DMA's outcome into the log. */
  follow(actual: Result | null): void {
    const last = this.last;
    if (!last) return;
    this.last = null;
    const outcome = actual && 'outcome' in actual ? actual : last.predicted;
    if (outcome.outcome !== 'fault') return;
    const { endpoint, iova, access } = last.op;
    this.faulted.push({ endpoint, iova, access, certain: last.certain });
  }

  /** Reading the records empties the log, whatever the answer. */
  read(): Expectation<Result> {
    const faulted = this.faulted;
    this.faulted = [];
    const owed = faulted.filter((f) => f.certain);
    return {
      result: { ok: true, faults: owed.map(({ endpoint, iova, access }) => ({ endpoint, iova, access })) },
      rule: RULE,
      judge: (actual) => {
        if (!('faults' in actual)) return { rule: RULE, why: 'reading the fault records answers records, not a failure' };
        const page = (a: bigint) => a - (a % this.granule);
        const matches = (f: Faulted, r: Faults['faults'][number]) => f.endpoint === r.endpoint && f.access === r.access && page(f.iova) === page(r.iova);
        for (const r of actual.faults) {
          if (!faulted.some((f) => matches(f, r))) return { rule: RULE, why: `a record of a ${r.access} at ${hex(r.iova)} by endpoint ${r.endpoint}, which no DMA that faulted made` };
        }
        for (const f of owed) {
          if (!actual.faults.some((r) => matches(f, r))) return { rule: RULE, why: `no record of the ${f.access} at ${hex(f.iova)} by endpoint ${f.endpoint}, which found no translation` };
        }
        return null;
      },
    };
  }
}
