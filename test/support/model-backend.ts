// A backend that answers with the reference model itself. It conforms by construction, so
// running the properties on it checks the generators and the oracle, not a backend: no
// generated case may crash the model or contradict it.
import type { Backend, BackendInfo } from '../../spec/backend.ts';
import type { Op, Result } from '../../spec/ops.ts';
import { SystemModel } from '../../models/system.ts';

export function modelBackend(info: BackendInfo): Backend {
  let model = new SystemModel(info);
  return {
    info,
    reset() { model = new SystemModel(info); },
    execute(ops: readonly Op[]): Result[] { return ops.map((op) => model.apply(op).result); },
  };
}
