// How fast each bundled mutant is caught: the number of generated cases until the rule it
// breaks first fails (summed over the properties aimed at that rule, in catalog order), and
// the length of the minimized case, per seed. Any other rule it breaks on the way is counted
// as caught too. `npm run bench:mutants`.
import { BUNDLED } from '../backends/type1/index.ts';
import { type1 } from '../families/type1.ts';

const PROPERTIES = type1.properties;
import { runProperty } from '../harness/run.ts';

const SEEDS = [1, 2, 3, 4, 5];
const RUNS = 200;

console.log(`seeds ${SEEDS.join(',')}, at most ${RUNS} cases per property, max-ops 40`);
console.log('| mutant | rule | caught with its rule (seeds) | caught at all (seeds) | cases to detection (median [min..max]) | minimized ops (max) |');
console.log('|---|---|---|---|---|---|');
for (const mutant of BUNDLED.filter((b) => b.kind === 'mutant')) {
  const cases: number[] = [];
  const lengths: number[] = [];
  let caughtAtAll = 0;
  for (const seed of SEEDS) {
    let spent = 0;
    let any = false;
    for (const property of PROPERTIES.filter((p) => (p.rules as readonly string[]).includes(mutant.rule!))) {
      const o = await runProperty({ family: type1, backend: mutant.create({}) }, property, { seed, runs: RUNS, maxOps: 40 });
      any ||= o.status === 'fail';
      if (o.status === 'fail' && o.violation.rule === mutant.rule) {
        cases.push(spent + o.runs);
        lengths.push(o.ops.length);
        break;
      }
      spent += o.status === 'pass' ? o.runs : RUNS;
    }
    if (any) caughtAtAll++;
  }
  const sorted = [...cases].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  console.log(`| ${mutant.name} | ${mutant.rule} | ${cases.length}/${SEEDS.length} | ${caughtAtAll}/${SEEDS.length} | ${median ?? '-'} [${sorted[0] ?? '-'}..${sorted.at(-1) ?? '-'}] | ${Math.max(...lengths, 0)} |`);
}
