// `show` without --html: the case as replay prints it, without running a backend. The steps
// before the failing one show what the model answers (the backend agreed with it there).
import type { Backend, FamilyResult } from '../../spec/family.ts';
import type { Violation } from '../check.ts';
import { printCase } from '../cli/output.ts';
import type { ShownCase } from './case.ts';

type Stream = NodeJS.WriteStream;

export function printShownCase(out: Stream, c: ShownCase, path: string): void {
  const { family, ops, failure } = c;
  const modelAnswers = c.answers;
  if (failure?.kind === 'violation' && failure.expected[0]?.result && failure.actual?.result) {
    const [first, ...rest] = failure.expected.map((a) => a.result!).filter(Boolean);
    const violation: Violation = {
      step: failure.step, rule: failure.rule, alsoBroken: failure.alsoBroken,
      expected: first!, accepted: rest as FamilyResult[], actual: failure.actual.result,
    };
    const backend: Backend = { info: { ...c.info, name: c.backend }, reset() {}, execute: () => [] };
    printCase(out, { family, backend }, ops, violation, null, modelAnswers as FamilyResult[]);
  } else {
    const step = failure && failure.kind !== 'fault' ? failure.step : null;
    const lines: string[] = [''];
    if (failure?.kind === 'violation') lines.push(`VIOLATION ${failure.rule} on ${c.backend} (property ${c.property})`, '');
    else if (failure?.kind === 'difference') lines.push(`DIFFERENCE at step ${failure.step}: ${c.backend} against ${failure.against} (${failure.verdict})`, '');
    else if (failure?.kind === 'fault') lines.push(`BACKEND FAULT on ${c.backend} (property ${c.property})`, `  ${failure.message}`, '');
    else lines.push(`CASE ${c.name} on ${c.backend} (property ${c.property})`, '');
    const width = Math.max(...ops.map((op) => family.formatOp(op).length)) + 2;
    ops.forEach((op, i) => {
      if (step !== null && i > step) return;
      const model = modelAnswers[i] ? family.formatResult(modelAnswers[i]!) : '';
      const answer = i !== step ? model
        : failure?.kind === 'violation' ? `expected ${failure.expected.map((a) => a.text).join(' or ') || '(not recorded)'}, got ${failure.actual?.text ?? '(not recorded)'}`
        : `the backends answer differently${model ? `; the model of ${c.backend} expects ${model}` : ''}`;
      lines.push(`${i === step ? '>' : ' '} #${String(i).padEnd(3)} ${family.formatOp(op).padEnd(width)} ${answer}`);
    });
    out.write(lines.join('\n') + '\n\n');
  }
  for (const note of c.notes) out.write(`note: ${note}\n`);
  if (failure?.kind === 'difference') {
    out.write(`again:  npx vfio-conform diff --backend '${c.backend}' --backend '${failure.against}' --case ${path}\n`);
    return;
  }
  const where = failure?.kind === 'violation' ? ` (recorded: ${failure.rule} at step ${failure.step})` : '';
  out.write(`replay: npx vfio-conform replay ${path}${where}\n`);
}
