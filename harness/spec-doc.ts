// `npm run spec`: writes every family's generated documents (its rules rendered from the rule
// index and the property catalog, its protocol schema), so that the prose, the index and the
// properties never disagree. A test fails when a written document is stale.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { FAMILIES } from '../families/index.ts';

export const generatedDocs = (): { path: string; text: string }[] => FAMILIES.flatMap((f) => f.docs());

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const doc of generatedDocs()) writeFileSync(new URL(`../${doc.path}`, import.meta.url), doc.text);
}
