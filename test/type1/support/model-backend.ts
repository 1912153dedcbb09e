// A backend that answers with the reference model itself. It conforms by construction, so
// running the properties on it checks the generators and the oracle, not a backend: no
// generated case may crash the model, contradict it, or use a capability not declared.
import { capabilitiesFor, type Backend, type BackendInfo } from '../../../spec/type1/backend.ts';
import type { Op, Result } from '../../../spec/type1/ops.ts';
import { SystemModel } from '../../../models/type1/system.ts';

export function modelBackend(info: BackendInfo): Backend {
  let model = new SystemModel(info);
  return {
    info,
    reset() { model = new SystemModel(info); },
    execute(ops: readonly Op[]): Result[] {
      for (const op of ops) {
        const missing = capabilitiesFor(op).filter((c) => !info.capabilities.includes(c));
        if (missing.length) throw new Error(`${op.op} needs ${missing.join(', ')}, which the backend did not declare`);
      }
      return ops.map((op) => model.apply(op).result);
    },
  };
}
