// What every QEMU backend does with a batch of operations, and with the fault records its DMAs
// leave: each operation is noted in the qtest trace (trace.ts), checked against the declaration
// before anything reaches QEMU (outside the capabilities or the geometry it answers EINVAL and
// programs nothing, VIOMMU-OP-ARGS), then carried out.
import { capabilitiesFor, type BackendInfo } from '../spec/viommu/backend.ts';
import { formatOp } from '../spec/viommu/format.ts';
import type { FaultRecord, Op, Result } from '../spec/viommu/ops.ts';
import { argumentsValid } from './args.ts';
import type { RawFault } from './machine.ts';
import type { Qtest } from './qtest.ts';

export const einval: Result = { ok: false, errno: 'EINVAL' };

export async function runOps(qtest: Qtest, info: BackendInfo, ops: readonly Op[], apply: (op: Op) => Promise<Result>): Promise<Result[]> {
  const results: Result[] = [];
  for (const op of ops) {
    qtest.note(formatOp(op));
    const valid = capabilitiesFor(op).every((c) => info.capabilities.includes(c)) && argumentsValid(info, op);
    results.push(valid ? await apply(op) : einval);
  }
  return results;
}

/** The error for an operation `apply` has no case for: the capabilities let through what it cannot do. */
export const notAnOperation = (op: Op, info: BackendInfo): Error =>
  new Error(`${op.op}: not an operation of this backend (its capabilities are ${info.capabilities.join(', ')})`);

/** Fault records taken from QEMU after each DMA, kept until a `faults` operation answers them. */
export class FaultLog {
  private kept: FaultRecord[] = [];

  /** `endpointOf` names the endpoint of a requester id, or -1: our own scratch DMAs are dropped. */
  constructor(private readonly endpointOf: (sid: number) => number) {}

  keep(faults: readonly RawFault[]): void {
    for (const f of faults) {
      const endpoint = this.endpointOf(f.sid);
      if (endpoint >= 0) this.kept.push({ endpoint, iova: f.addr, access: f.access });
    }
  }

  take(): Result {
    const faults = this.kept;
    this.kept = [];
    return { ok: true, faults };
  }

  clear(): void { this.kept = []; }
}
