// How fast each bundled mutant is caught, family by family: the number of generated cases until
// the rule it breaks first fails (summed over the properties aimed at that rule, in catalog
// order), and the length of the minimized case, per seed. Any other rule it breaks on the way is
// counted as caught too. `npm run bench:mutants [-- --family ID]`.
import { parseArgs } from 'node:util';
import { FAMILIES } from '../families/index.ts';
import { runProperty } from '../harness/run.ts';

const SEEDS = [1, 2, 3, 4, 5];
const RUNS = 200;
const MAX_OPS = 40;

const { values } = parseArgs({ options: { family: { type: 'string' } } });
const families = FAMILIES.filter((f) => !values.family || f.id === values.family);
if (families.length === 0) throw new Error(`bench: unknown family ${values.family}`);

for (const family of families) {
  console.log(`\n${family.id}: seeds ${SEEDS.join(',')}, at most ${RUNS} cases per property, max-ops ${MAX_OPS}`);
  console.log('| mutant | rule | caught with its rule (seeds) | caught at all (seeds) | cases to detection (median [min..max]) | minimized ops (max) |');
  console.log('|---|---|---|---|---|---|');
  for (const mutant of family.bundled) {
    if (mutant.kind !== 'mutant') continue;
    const cases: number[] = [];
    const lengths: number[] = [];
    let caughtAtAll = 0;
    for (const seed of SEEDS) {
      let spent = 0;
      let any = false;
      for (const property of family.properties.filter((p) => p.rules.includes(mutant.rule!))) {
        const o = await runProperty({ family, backend: mutant.create({}) }, property, { seed, runs: RUNS, maxOps: MAX_OPS });
        any ||= o.status === 'fail';
        if (o.status === 'fail' && o.violation.rule === mutant.rule) {
          cases.push(spent + o.runs);
          lengths.push(o.ops.length);
          break;
        }
        spent += o.status === 'skip' ? 0 : o.runs;
      }
      if (any) caughtAtAll++;
    }
    const sorted = [...cases].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)];
    console.log(`| ${mutant.name} | ${mutant.rule} | ${cases.length}/${SEEDS.length} | ${caughtAtAll}/${SEEDS.length} | ${median ?? '-'} [${sorted[0] ?? '-'}..${sorted.at(-1) ?? '-'}] | ${Math.max(...lengths, 0)} |`);
  }
}
