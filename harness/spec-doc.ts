// Renders spec/type1/rules.md from the rule index and the property catalog, so the prose, the
// index and the properties that check each rule never disagree. `npm run spec` rewrites the
// file; a test fails when it is stale.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { FAMILIES, RULES, type Family } from '../spec/type1/rules.ts';
import { PROPERTIES } from '../properties/type1/catalog.ts';
import { protocolSchema } from '../spec/type1/schema.ts';

export const renderSchema = (): string => JSON.stringify(protocolSchema(), null, 2) + '\n';

export function renderRules(): string {
  const out = [
    '# VFIO type1: the rules',
    '',
    'Generated from `spec/type1/rules.ts` by `npm run spec`; do not edit by hand.',
    '',
    'Each rule has a stable ID, a level (MUST or MAY), the container profile it binds (v1 is',
    '`VFIO_TYPE1_IOMMU`, v2 is `VFIO_TYPE1v2_IOMMU`), and the source it was read from',
    '(`L` = the Linux kernel tree), and the properties that check it (`properties/type1/catalog.ts`).',
    '',
  ];
  for (const family of Object.keys(FAMILIES) as Family[]) {
    out.push(`## ${FAMILIES[family]}`, '');
    for (const r of RULES.filter((x) => x.family === family)) {
      out.push(`### ${r.id} (${r.level}, ${r.profile === 'both' ? 'v1 and v2' : r.profile})`, '', r.statement, '');
      for (const s of r.sources) out.push(`- Source: ${s}`);
      const by = PROPERTIES.filter((p) => (p.rules as readonly string[]).includes(r.id)).map((p) => `\`${p.id}\``);
      out.push(`- Checked by: ${by.join(', ')}`);
      for (const v of ('variants' in r ? r.variants : undefined) ?? []) out.push(`- Variant: ${v}`);
      out.push('');
    }
  }
  return out.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(new URL('../spec/type1/rules.md', import.meta.url), renderRules());
  writeFileSync(new URL('../spec/type1/protocol.schema.json', import.meta.url), renderSchema());
}
