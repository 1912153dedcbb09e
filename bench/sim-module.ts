// The bundled simulator as a backend module, for `npm run bench:isolation`.
import type { BackendFactory } from '../spec/type1/backend.ts';
import { findBundled } from '../backends/type1/index.ts';

const create: BackendFactory = (options) => findBundled('sim-type1')!.create(options);
export default create;
