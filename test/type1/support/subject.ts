// A type1 backend as the harness takes it: with its family.
import type { Subject } from '../../../harness/check.ts';
import { type1 } from '../../../families/type1.ts';
import type { Backend } from '../../../spec/type1/backend.ts';

export const subject = (backend: Backend): Subject => ({ family: type1, backend });

export const PROPERTIES = type1.properties;
