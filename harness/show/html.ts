// A failing case as one self-contained HTML page: the verdict on top, then a timeline with
// one row per operation and one column per address space (lane), the failing row in red.
//
// Everything is inline (CSS, SVG, a few lines of script), nothing is fetched, and the same
// case gives the same bytes: no dates, no paths, numbers rounded the same way every time.
import type { FamilyOp } from '../../spec/family.ts';
import type { Timeline, ViewInterval, ViewLane, ViewProbe, ViewStep } from '../../spec/timeline.ts';
import { addressLabel, buildAxis, subtract, union, type Axis, type Range } from './axis.ts';
import type { ShownCase } from './case.ts';

// Layout, in CSS pixels.
const PAD = 24;
const LANE_PAD = 20;
const STEP_W = 46;
const OP_CHARS = 54;
const OP_W = 400;
const GUTTER = 36;
const LANE_GAP = 52;
const LANE_MIN = 260;
const LANE_MAX = 860;
const TRACK_H = 22;
const LINE_H = 15;
const MONO_EM = 0.61;
const SIN60 = Math.sqrt(3) / 2;

const MONO = `ui-monospace, 'DejaVu Sans Mono', 'Liberation Mono', Menlo, Consolas, monospace`;
const SANS = `system-ui, -apple-system, 'Segoe UI', 'DejaVu Sans', 'Liberation Sans', sans-serif`;

/** Fill and outline of the n-th tone: one memory, one colour, in the order memory appears. */
const PALETTE: readonly [string, string][] = [
  ['#3b82f6', '#1d4ed8'], ['#f59e0b', '#b45309'], ['#10b981', '#047857'], ['#8b5cf6', '#6d28d9'],
  ['#ec4899', '#be185d'], ['#06b6d4', '#0e7490'], ['#84cc16', '#4d7c0f'], ['#f97316', '#c2410c'],
  ['#64748b', '#334155'], ['#14b8a6', '#0f766e'],
];

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
/** Coordinates rounded to a tenth of a pixel, printed the same way every time. */
const n = (v: number): string => String(Math.round(v * 10) / 10);
const textWidth = (s: string, px: number): number => s.length * px * MONO_EM;

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    for (let w = word; w.length > 0;) {
      const room = line ? width - line.length - 1 : width;
      if (w.length <= room) {
        line = line ? `${line} ${w}` : w;
        w = '';
      } else if (line) {
        lines.push(line);
        line = '';
      } else {
        lines.push(w.slice(0, width));
        w = w.slice(width);
      }
    }
  }
  if (line || lines.length === 0) lines.push(line);
  return lines;
}

const toneKey = (iv: ViewInterval): string => iv.tone ?? `${iv.kind}: ${iv.label}`;

interface LaneLayout { lane: ViewLane; axis: Axis; x: number }

interface RowText { text: string; cls: string }

export function renderHtml(c: ShownCase): string {
  const { family, ops, failure } = c;
  const timeline: Timeline = c.timeline ?? { lanes: [], steps: ops.map(() => ({ lanes: {}, probes: [], targets: [] })) };
  const failStep = failure && failure.kind !== 'fault' ? failure.step : null;

  // Colours by first appearance in the model's state.
  const tones = new Map<string, number>();
  for (const step of timeline.steps) {
    for (const lane of timeline.lanes) {
      for (const iv of step.lanes[lane.id] ?? []) {
        const key = toneKey(iv);
        if (!tones.has(key)) tones.set(key, tones.size);
      }
    }
  }
  const colour = (iv: ViewInterval): [string, string] => PALETTE[(tones.get(toneKey(iv)) ?? 0) % PALETTE.length]!;

  // One axis per lane, shared by every step, so that a thing that stays put stays put.
  const lanes: LaneLayout[] = [];
  let x = LANE_PAD;
  for (const lane of timeline.lanes) {
    const points: bigint[] = [];
    const used: Range[] = [];
    const add = (r: Range) => points.push(r.start, r.end);
    if (lane.bounds) add(lane.bounds);
    for (const r of lane.reserved ?? []) add(r);
    for (const step of timeline.steps) {
      for (const iv of [...(step.lanes[lane.id] ?? []), ...(step.reported?.[lane.id] ?? [])]) {
        add(iv);
        used.push(iv);
      }
      for (const t of step.targets) if (t.lane === lane.id) add(t);
      for (const p of step.probes) if (p.lane === lane.id) points.push(p.at);
    }
    const axis = buildAxis(points, used, lane.reserved ?? [], LANE_MIN, LANE_MAX);
    lanes.push({ lane, axis, x });
    x += axis.width + LANE_GAP;
  }
  const longest = Math.max(0, ...lanes.flatMap((l) => l.axis.points.map((p) => addressLabel(p).length)));
  // The last label leans right of its lane.
  const rightWidth = lanes.length ? x - LANE_GAP + Math.ceil(textWidth('0'.repeat(longest), 11) / 2) + PAD : 0;

  // The operations column: step, operation, answer, and the model's counters and such.
  const leftWidth = PAD + STEP_W + OP_W + GUTTER;

  // Vertical layout: lane titles, rotated address labels, then the rows.
  const titleY = PAD;
  const axisY = titleY + 20 + Math.ceil(textWidth('0'.repeat(longest), 11) * SIN60) + 14;
  const rowTexts: RowText[][] = ops.map((op, i) => [
    ...rowText(c, op, i, failStep),
    ...(timeline.steps[i]?.facts?.length ? wrap(timeline.steps[i]!.facts!.join(' · '), OP_CHARS).map((text) => ({ text, cls: 'fact' })) : []),
  ]);
  const rowTop: number[] = [];
  let y = axisY + 16;
  const rowH = rowTexts.map((lines, i) => {
    const step = timeline.steps[i];
    const base = step?.reported && Object.keys(step.reported).length ? 84 : 70;
    return Math.max(base, 14 + lines.length * LINE_H + 12);
  });
  for (const h of rowH) {
    rowTop.push(y);
    y += h;
  }
  const height = y + PAD;

  const open = (id: string, width: number) =>
    `<svg xmlns="http://www.w3.org/2000/svg" id="${id}" role="img" aria-label="${id === 'timeline' ? 'the address spaces after each operation' : 'the operations and what the model answers'}" width="${n(width)}" height="${n(height)}" viewBox="0 0 ${n(width)} ${n(height)}" font-family="${esc(SANS)}">`;
  const rowClass = (i: number) => (i === failStep ? 'row-bg failing' : failStep !== null && i > failStep ? 'row-bg after' : i % 2 ? 'row-bg odd' : 'row-bg');
  const rowAttrs = (i: number) => (i === failStep ? ' data-failing="true"' : failStep !== null && i > failStep ? ' class="after"' : '');

  const left: string[] = [open('operations', leftWidth)];
  const right: string[] = [open('timeline', rightWidth), defs()];
  // Row backgrounds first, so that everything else draws over them.
  ops.forEach((_, i) => {
    left.push(`<rect class="${rowClass(i)}" x="0" y="${n(rowTop[i]!)}" width="${n(leftWidth)}" height="${n(rowH[i]!)}"/>`);
    if (i === failStep) left.push(`<rect class="fail-bar" x="0" y="${n(rowTop[i]!)}" width="5" height="${n(rowH[i]!)}"/>`);
    right.push(`<rect class="${rowClass(i)}" x="0" y="${n(rowTop[i]!)}" width="${n(rightWidth)}" height="${n(rowH[i]!)}"/>`);
  });

  left.push(`<text class="head" x="${PAD}" y="${n(axisY - 4)}">step</text>`);
  left.push(`<text class="head" x="${PAD + STEP_W}" y="${n(axisY - 4)}">operation → what the model answers</text>`);
  const failing = failStep !== null ? timeline.steps[failStep] : undefined;
  for (const l of lanes) right.push(axisHead(l, titleY, axisY, y, failing));

  ops.forEach((_, i) => {
    const step = timeline.steps[i];
    const top = rowTop[i]!;
    left.push(`<g data-step="${i}"${rowAttrs(i)}${i === failStep ? ' id="failing-step"' : ''}>`);
    left.push(`<text class="stepno${i === failStep ? ' bad' : ''}" x="${PAD}" y="${n(top + 20)}">#${i}</text>`);
    rowTexts[i]!.forEach((line, k) => {
      const body = k === 0 && line.cls === 'op' ? opName(line.text) : esc(line.text);
      left.push(`<text class="${line.cls}" x="${PAD + STEP_W}" y="${n(top + 20 + k * LINE_H)}">${body}</text>`);
    });
    left.push('</g>');
    if (step && lanes.length) {
      right.push(`<g data-step="${i}"${rowAttrs(i)}>`);
      const previous = i > 0 ? timeline.steps[i - 1] : undefined;
      for (const l of lanes) right.push(laneCell(l, step, previous, top, i === failStep, c, colour));
      right.push('</g>');
    }
  });
  left.push('</svg>');
  right.push('</svg>');

  const body = `<main class="grid">\n${left.join('\n')}\n${lanes.length ? `<div class="lanes">\n${right.join('\n')}\n</div>` : ''}\n</main>`;
  return page(c, body);
}

/** The operation's name in bold, its arguments as they are. */
function opName(line: string): string {
  const space = line.indexOf(' ');
  return space < 0 ? `<tspan class="name">${esc(line)}</tspan>` : `<tspan class="name">${esc(line.slice(0, space))}</tspan>${esc(line.slice(space))}`;
}

/** The op (wrapped), then what the model answers; at the failing step, expected against actual. */
function rowText(c: ShownCase, op: FamilyOp, i: number, failStep: number | null): RowText[] {
  const { family, failure } = c;
  const lines: RowText[] = wrap(family.formatOp(op), OP_CHARS).map((t, k) => ({ text: t, cls: k === 0 ? 'op' : 'op more' }));
  const answer = (t: string, cls: string) => lines.push(...wrap(t, OP_CHARS).map((w) => ({ text: w, cls })));
  const e = c.expectations[i];
  if (failStep !== null && i > failStep) {
    answer('not judged: after the failing step', 'ans after');
  } else if (i === failStep && failure?.kind === 'violation') {
    answer(`expected ${failure.expected.map((a) => a.text).join(' or ') || '(not recorded)'}`, 'ans exp');
    answer(`got ${failure.actual?.text ?? '(not recorded)'}`, 'ans got');
  } else if (i === failStep && failure?.kind === 'difference') {
    answer(`${c.backend} and ${failure.against} answer differently here (${failure.verdict})`, 'ans got');
    if (e) answer(`the model of ${c.backend} expects ${family.formatResult(e.result)}`, 'ans');
  } else {
    const a = c.answers[i];
    answer(a ? `→ ${family.formatResult(a)}` : '→ ?', 'ans');
  }
  return lines;
}

function defs(): string {
  return `<defs>
<pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#f1f5f9"/><line x1="0" y1="0" x2="0" y2="6" stroke="#cbd5e1" stroke-width="2.5"/></pattern>
<pattern id="ghost" width="5" height="5" patternUnits="userSpaceOnUse" patternTransform="rotate(-45)"><line x1="0" y1="0" x2="0" y2="5" stroke="#94a3b8" stroke-width="1"/></pattern>
<marker id="arrow" viewBox="0 0 10 10" refX="8" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#0f172a"/></marker>
</defs>`;
}

/** A lane's title, its axis with a rotated exact label at every breakpoint, and faint guides down the rows. */
function axisHead({ lane, axis, x }: LaneLayout, titleY: number, axisY: number, bottom: number, failing: ViewStep | undefined): string {
  const out: string[] = [`<g class="lane-head" data-lane="${esc(lane.id)}">`];
  out.push(`<text class="lane-title" x="${n(x)}" y="${n(titleY + 12)}">${esc(lane.title)}</text>`);
  const hot = new Set<bigint>();
  for (const p of failing?.probes ?? []) if (p.lane === lane.id) hot.add(p.at);
  for (const t of failing?.targets ?? []) if (t.lane === lane.id) hot.add(t.start).add(t.end);
  for (const s of axis.segments) {
    if (s.kind === 'used') continue;
    const what = s.kind === 'reserved' ? (lane.reserved ?? []).find((r) => r.start <= s.start && s.end <= r.end)?.label ?? 'reserved' : 'nothing here at any step';
    out.push(`<g class="gap-mark"><title>${esc(`${addressLabel(s.start)} - ${addressLabel(s.end)}: ${what}; not to scale`)}</title>`
      + `<rect x="${n(x + s.x0 + 1)}" y="${n(axisY - 3)}" width="${n(s.x1 - s.x0 - 2)}" height="6" fill="${s.kind === 'reserved' ? 'url(#hatch)' : '#fff'}"/>`
      + `<path d="M${n(x + (s.x0 + s.x1) / 2 - 5)},${n(axisY + 5)} l4,-10 M${n(x + (s.x0 + s.x1) / 2 + 1)},${n(axisY + 5)} l4,-10" class="break"/></g>`);
  }
  out.push(`<line class="axis" x1="${n(x)}" y1="${n(axisY)}" x2="${n(x + axis.width)}" y2="${n(axisY)}"/>`);
  for (const p of axis.points) {
    const px = x + axis.x(p);
    out.push(`<line class="guide" x1="${n(px)}" y1="${n(axisY)}" x2="${n(px)}" y2="${n(bottom)}"/>`);
    out.push(`<line class="tick" x1="${n(px)}" y1="${n(axisY - 4)}" x2="${n(px)}" y2="${n(axisY + 4)}"/>`);
    const label = addressLabel(p);
    out.push(`<text class="addr${hot.has(p) ? ' hot' : ''}" transform="rotate(-60 ${n(px)} ${n(axisY - 7)})" x="${n(px)}" y="${n(axisY - 7)}">${esc(label)}</text>`);
  }
  out.push('</g>');
  return out.join('\n');
}

function laneCell(
  { lane, axis, x }: LaneLayout, step: ViewStep, previous: ViewStep | undefined, top: number,
  isFailing: boolean, c: ShownCase, colour: (iv: ViewInterval) => [string, string],
): string {
  const out: string[] = [`<g class="cell" data-lane="${esc(lane.id)}">`];
  const X = (a: bigint) => x + axis.x(a);
  const trackY = top + 26;

  // The track: occupied stretches, gaps (not to scale) and reserved ranges.
  for (const s of axis.segments) {
    const x0 = x + s.x0;
    const w = s.x1 - s.x0;
    if (s.kind === 'used') out.push(`<rect class="track" x="${n(x0)}" y="${n(trackY)}" width="${n(w)}" height="${TRACK_H}"/>`);
    else if (s.kind === 'reserved') out.push(`<rect x="${n(x0)}" y="${n(trackY + 4)}" width="${n(w)}" height="${TRACK_H - 8}" fill="url(#hatch)"/>`);
    else out.push(`<line class="gap" x1="${n(x0)}" y1="${n(trackY + TRACK_H / 2)}" x2="${n(x0 + w)}" y2="${n(trackY + TRACK_H / 2)}"/>`);
  }

  // What changed since the previous step, by tone: ranges gone are ghosts, a tone gone here and
  // come there is a move.
  const now = step.lanes[lane.id] ?? [];
  const before = previous?.lanes[lane.id] ?? [];
  const byTone = (list: readonly ViewInterval[]) => {
    const m = new Map<string, { iv: ViewInterval; ranges: Range[] }>();
    for (const iv of list) {
      const e = m.get(toneKey(iv)) ?? { iv, ranges: [] };
      e.ranges.push(iv);
      m.set(toneKey(iv), e);
    }
    return new Map([...m].map(([k, v]) => [k, { iv: v.iv, ranges: union(v.ranges) }]));
  };
  const was = byTone(before);
  const is = byTone(now);
  const gone: { iv: ViewInterval; r: Range }[] = [];
  const came: { key: string; r: Range }[] = [];
  for (const [key, w] of was) for (const r of subtract(w.ranges, is.get(key)?.ranges ?? [])) gone.push({ iv: w.iv, r });
  for (const [key, w] of is) for (const r of subtract(w.ranges, was.get(key)?.ranges ?? [])) came.push({ key, r });

  for (const { iv, r } of gone) {
    const [fill] = colour(iv);
    const w = Math.max(3, X(r.end) - X(r.start));
    out.push(`<g class="ghost"><title>${esc(`gone at this step: ${iv.label} ${addressLabel(r.start)} - ${addressLabel(r.end)}`)}</title>`
      + `<rect x="${n(X(r.start))}" y="${n(trackY)}" width="${n(w)}" height="${TRACK_H}" rx="3" fill="url(#ghost)" stroke="${fill}" stroke-dasharray="4 3" stroke-width="1.5"/></g>`);
  }

  for (const iv of now) out.push(interval(iv, X, trackY, TRACK_H, colour, 'iv'));

  for (const { r } of came) {
    const w = Math.max(3, X(r.end) - X(r.start));
    out.push(`<rect class="new" x="${n(X(r.start) - 1.5)}" y="${n(trackY - 1.5)}" width="${n(w + 3)}" height="${TRACK_H + 3}" rx="4"><title>appeared at this step</title></rect>`);
  }
  for (const { key, r } of came) {
    const from = gone.find((g) => toneKey(g.iv) === key);
    if (!from) continue;
    const x1 = (X(from.r.start) + X(from.r.end)) / 2;
    const x2 = (X(r.start) + X(r.end)) / 2;
    const yb = trackY + TRACK_H + 2;
    out.push(`<path class="move" d="M${n(x1)},${n(yb)} C${n(x1)},${n(yb + 14)} ${n(x2)},${n(yb + 14)} ${n(x2)},${n(yb + 1)}" marker-end="url(#arrow)"><title>moved</title></path>`);
  }

  // What the backend reported of this lane, under the model's state: what the model does not
  // hold in red, what the backend left out as a dashed outline.
  const reported = step.reported?.[lane.id];
  if (reported) {
    const ry = trackY + TRACK_H + 5;
    const same = (a: ViewInterval, b: ViewInterval) => a.start === b.start && a.end === b.end;
    out.push(`<rect class="track" x="${n(x)}" y="${n(ry)}" width="${n(axis.width)}" height="10" opacity="0.6"/>`);
    for (const iv of reported) {
      const extra = !now.some((m) => same(m, iv));
      out.push(interval(iv, X, ry, 10, extra ? () => ['#dc2626', '#991b1b'] : colour, extra ? 'iv reported extra' : 'iv reported'));
    }
    for (const m of now) {
      if (reported.some((iv) => same(m, iv))) continue;
      out.push(`<rect class="missing" x="${n(X(m.start))}" y="${n(ry)}" width="${n(Math.max(3, X(m.end) - X(m.start)))}" height="10" rx="2"><title>the backend does not report this</title></rect>`);
    }
    out.push(`<text class="small" x="${n(x)}" y="${n(ry + 21)}">↑ what the backend reports</text>`);
  }

  // The ranges the operation names.
  for (const t of step.targets) {
    if (t.lane !== lane.id) continue;
    const x0 = X(t.start);
    const x1 = Math.max(X(t.end), x0 + 2);
    const by = trackY - 6;
    const cls = isFailing ? 'target bad' : 'target';
    out.push(`<g class="${cls}"><title>${esc(`${t.label ?? 'target'} ${addressLabel(t.start)} - ${addressLabel(t.end)}`)}</title>`
      + `<path d="M${n(x0)},${n(by + 4)} V${n(by)} H${n(x1)} V${n(by + 4)}"/>`
      + (t.label ? `<text x="${n(x0)}" y="${n(by - 3)}">${esc(t.label)}</text>` : '') + '</g>');
  }

  // Probes: where an access went, and what it did.
  for (const p of step.probes) {
    if (p.lane !== lane.id) continue;
    out.push(probe(p, X(p.at), trackY, isFailing, x, axis.width, c));
  }
  out.push('</g>');
  return out.join('\n');
}

function interval(iv: ViewInterval, X: (a: bigint) => number, y: number, h: number, colour: (iv: ViewInterval) => [string, string], cls: string): string {
  const [fill, stroke] = colour(iv);
  const x0 = X(iv.start);
  const w = Math.max(3, X(iv.end) - x0);
  const dashed = iv.style === 'dashed';
  const title = `${iv.kind}: ${iv.label}\n${addressLabel(iv.start)} - ${addressLabel(iv.end)}${iv.detail ? `\n${iv.detail}` : ''}`;
  const label = h >= 16 && textWidth(iv.label, 11) + 8 <= w
    ? `<text class="iv-label${dashed ? ' dark' : ''}" x="${n(x0 + w / 2)}" y="${n(y + h / 2 + 4)}">${esc(iv.label)}</text>` : '';
  return `<g class="${cls}" data-tone="${esc(iv.tone ?? '')}" data-kind="${esc(iv.kind)}"><title>${esc(title)}</title>`
    + `<rect x="${n(x0)}" y="${n(y)}" width="${n(w)}" height="${h}" rx="3" fill="${dashed ? '#fff' : fill}" stroke="${stroke}"${dashed ? ' stroke-dasharray="5 3" stroke-width="1.5"' : ''}/>`
    + (dashed ? `<rect x="${n(x0)}" y="${n(y)}" width="${n(w)}" height="${h}" rx="3" fill="${fill}" opacity="0.22"/>` : '')
    + label + '</g>';
}

function probe(p: ViewProbe, px: number, trackY: number, isFailing: boolean, laneX: number, laneW: number, c: ShownCase): string {
  const cy = trackY + TRACK_H / 2;
  const shown = p.actual ?? p.expected;
  const wrong = isFailing;
  const glyph = shown === 'hit'
    ? `<circle cx="${n(px)}" cy="${n(cy)}" r="6" class="hit${wrong ? ' bad' : ''}"/>`
    : `<circle cx="${n(px)}" cy="${n(cy)}" r="6.5" class="fault${wrong ? ' bad' : ''}"/><path class="fault-x${wrong ? ' bad' : ''}" d="M${n(px - 3.2)},${n(cy - 3.2)} l6.4,6.4 M${n(px + 3.2)},${n(cy - 3.2)} l-6.4,6.4"/>`;
  const title = `${p.label} at ${addressLabel(p.at)}: the model expects a ${p.expected}${p.actual ? `; the backend answered with a ${p.actual}` : ''}`;
  const out = [`<g class="probe" data-outcome="${shown}" data-expected="${p.expected}"><title>${esc(title)}</title>`];
  if (wrong) out.push(`<circle cx="${n(px)}" cy="${n(cy)}" r="11" class="ring"/>`);
  out.push(glyph);
  out.push(`<text class="probe-label" x="${n(px)}" y="${n(trackY - 5)}">${esc(p.label)}</text>`);
  if (wrong && c.failure?.kind === 'violation') {
    const f = c.failure;
    const text = `expected ${f.expected.map((a) => a.text).join(' or ') || p.expected}  ·  got ${f.actual?.text ?? shown}`;
    const w = textWidth(text, 11);
    const tx = Math.max(Math.min(px - w / 2, laneX + laneW - w), 4);
    out.push(`<text class="callout" x="${n(tx)}" y="${n(trackY + TRACK_H + 16)}">${esc(text)}</text>`);
  }
  out.push('</g>');
  return out.join('');
}

function page(c: ShownCase, body: string): string {
  const { failure, family } = c;
  const rule = failure?.kind === 'violation' ? family.rules.find((r) => r.id === failure.rule) : undefined;
  const title = failure?.kind === 'violation' ? `${failure.rule} at step ${failure.step}`
    : failure?.kind === 'difference' ? `difference at step ${failure.step}`
    : failure?.kind === 'fault' ? 'backend fault' : 'case';
  const verdict: string[] = [];
  if (failure?.kind === 'violation') {
    const op = c.ops[failure.step]!;
    verdict.push(`<div class="kind">violation</div><h1>${esc(failure.rule)} <span class="where">at step #${failure.step} of ${c.ops.length}</span></h1>`);
    if (rule) verdict.push(`<p class="statement">${esc(rule.statement)}</p>`);
    verdict.push(`<div class="versus"><code class="the-op">${esc(family.formatOp(op))}</code>`
      + `<div class="pair"><div class="expected"><span>expected</span><code>${esc(failure.expected.map((a) => a.text).join(' or ') || '(not recorded)')}</code></div>`
      + `<div class="actual"><span>got</span><code>${esc(failure.actual?.text ?? '(not recorded)')}</code></div></div></div>`);
    if (failure.alsoBroken.length) verdict.push(`<p class="also">also breaks ${esc(failure.alsoBroken.join(', '))}</p>`);
    if (rule?.sources.length) verdict.push(`<p class="source">source: ${esc(rule.sources.join('; '))}</p>`);
  } else if (failure?.kind === 'difference') {
    verdict.push(`<div class="kind">difference</div><h1>step #${failure.step} <span class="where">${esc(c.backend)} against ${esc(failure.against)}: ${esc(failure.verdict)}</span></h1>`);
    verdict.push(`<div class="versus"><code class="the-op">${esc(family.formatOp(c.ops[failure.step]!))}</code></div>`);
  } else if (failure?.kind === 'fault') {
    verdict.push(`<div class="kind">backend fault</div><h1>${esc(c.backend)}</h1><p class="statement">${esc(failure.message)}</p>`);
  } else {
    verdict.push(`<h1>${esc(c.name)}</h1>`);
  }
  const meta = [
    ['backend', c.backend], ['profile', c.profile ?? c.info.profile], ['property', c.property], ['family', family.id],
    ['operations', String(c.ops.length)],
  ].map(([k, v]) => `<span><b>${esc(k!)}</b> ${esc(v!)}</span>`).join('');
  const notes = c.notes.map((t) => `<p class="note">${esc(t)}</p>`).join('');

  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="vfio-conform show">
<title>${esc(`${title} — ${c.backend} — vfio-conform`)}</title>
<style>${CSS}</style>
</head>
<body>
<header class="verdict ${failure?.kind ?? 'none'}">
${verdict.join('\n')}
<p class="meta">${meta}</p>
<p class="replay">replay: <code>npx vfio-conform replay ${esc(c.name)}</code>${failure && failure.kind !== 'fault' ? ` · <a href="#failing-step">the failing step</a>` : ''}</p>
${notes}
</header>
${legend(c)}
${body}
<script>${SCRIPT}</script>
</body>
</html>
`;
}

function legend(c: ShownCase): string {
  if (!c.timeline) return '';
  const kinds = new Set<string>();
  let dashed = false;
  let reserved = false;
  for (const s of c.timeline.steps) {
    for (const list of Object.values(s.lanes)) for (const iv of list) {
      kinds.add(iv.kind);
      if (iv.style === 'dashed') dashed = true;
    }
  }
  for (const l of c.timeline.lanes) if (l.reserved?.length) reserved = true;
  const sw = (body: string) => `<svg width="34" height="16" viewBox="0 0 34 16">${body}</svg>`;
  const items = [
    [sw('<rect x="1" y="2" width="14" height="12" rx="2" fill="#3b82f6"/><rect x="18" y="2" width="14" height="12" rx="2" fill="#f59e0b"/>'), `${[...kinds].join(', ')}: a colour is one piece of memory, wherever it shows`],
    [sw('<rect x="2" y="2" width="30" height="12" rx="3" fill="#3b82f6"/><rect x="0.75" y="0.75" width="32.5" height="14.5" rx="4" fill="none" stroke="#0f172a" stroke-width="1.5"/>'), 'appeared at this step'],
    [sw('<rect x="2" y="2" width="30" height="12" rx="3" fill="url(#ghost)" stroke="#3b82f6" stroke-dasharray="4 3" stroke-width="1.5"/>'), 'gone at this step'],
    [sw('<path d="M4,4 C4,14 28,14 28,5" fill="none" stroke="#0f172a" stroke-width="1.5" marker-end="url(#arrow)"/>'), 'moved'],
    ...(dashed ? [[sw('<rect x="2" y="2" width="30" height="12" rx="3" fill="#dbeafe" stroke="#1d4ed8" stroke-dasharray="5 3" stroke-width="1.5"/>'), 'held but not usable (hover for why)']] : []),
    [sw('<path d="M2,12 V6 H32 V12" fill="none" stroke="#334155" stroke-width="1.5"/>'), 'the range an operation names'],
    [sw('<circle cx="9" cy="8" r="6" fill="#16a34a" stroke="#fff" stroke-width="1.5"/><circle cx="25" cy="8" r="6.5" fill="#fff" stroke="#ea580c" stroke-width="2"/><path d="M21.8,4.8 l6.4,6.4 M28.2,4.8 l-6.4,6.4" stroke="#ea580c" stroke-width="2"/>'), 'an access that reaches memory / faults'],
    ...(reserved ? [[sw('<rect x="2" y="3" width="30" height="10" fill="url(#hatch)"/>'), 'reserved']] : []),
    [sw('<line x1="2" y1="8" x2="32" y2="8" stroke="#94a3b8" stroke-dasharray="2 3"/><path d="M12,13 l4,-10 M18,13 l4,-10" stroke="#64748b" stroke-width="1.5"/>'), 'empty stretch, not to scale'],
  ];
  return `<nav class="legend">${items.map(([s, t]) => `<span>${s}${esc(t!)}</span>`).join('')}</nav>`;
}

const CSS = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #f8fafc; color: #0f172a; font: 14px/1.45 ${SANS}; }
code { font-family: ${MONO}; }
header.verdict { margin: 20px 24px 12px; padding: 18px 22px; background: #fff; border: 1px solid #e2e8f0; border-left: 6px solid #dc2626; border-radius: 10px; box-shadow: 0 1px 2px rgba(15,23,42,.06); }
header.fault { border-left-color: #ea580c; } header.difference { border-left-color: #7c3aed; } header.none { border-left-color: #64748b; }
.kind { font: 700 12px/1 ${SANS}; letter-spacing: .08em; text-transform: uppercase; color: #dc2626; }
header.fault .kind { color: #ea580c; } header.difference .kind { color: #7c3aed; }
h1 { margin: 6px 0 4px; font: 700 24px/1.25 ${MONO}; }
h1 .where { font: 400 16px ${SANS}; color: #475569; margin-left: 8px; }
.statement { margin: 4px 0 12px; font-size: 15px; color: #1e293b; max-width: 70em; }
.versus { display: flex; flex-wrap: wrap; align-items: stretch; gap: 12px; margin: 8px 0; }
.the-op { align-self: center; padding: 8px 12px; background: #f1f5f9; border-radius: 6px; font-size: 14px; }
.pair { display: flex; gap: 8px; }
.pair > div { display: flex; flex-direction: column; justify-content: center; padding: 6px 14px; border-radius: 6px; }
.pair span { font: 700 11px ${SANS}; text-transform: uppercase; letter-spacing: .06em; }
.pair code { font-size: 16px; font-weight: 700; }
.expected { background: #dcfce7; color: #166534; border: 1px solid #86efac; }
.actual { background: #fee2e2; color: #991b1b; border: 1px solid #fca5a5; }
.also, .source, .replay { margin: 4px 0; color: #475569; font-size: 13px; }
.meta { display: flex; flex-wrap: wrap; gap: 6px 18px; margin: 10px 0 4px; font-size: 13px; color: #334155; }
.meta b { color: #64748b; font-weight: 600; margin-right: 3px; }
.note { margin: 6px 0 0; padding: 6px 10px; background: #fef9c3; border: 1px solid #fde047; border-radius: 6px; font-size: 13px; }
a { color: #1d4ed8; }
nav.legend { display: flex; flex-wrap: wrap; gap: 6px 20px; margin: 0 24px 10px; padding: 8px 14px; font-size: 12.5px; color: #334155; background: #fff; border: 1px solid #e2e8f0; border-radius: 8px; }
nav.legend span { display: inline-flex; align-items: center; gap: 6px; }
main.grid { display: flex; width: fit-content; max-width: calc(100% - 48px); align-items: flex-start; margin: 0 24px 24px; background: #fff; border: 1px solid #e2e8f0; border-radius: 10px; overflow: hidden; }
main.grid > svg { flex: none; display: block; border-right: 1px solid #e2e8f0; }
main.grid > .lanes { flex: 0 1 auto; min-width: 0; overflow-x: auto; }
main svg { display: block; }
main svg text { fill: #0f172a; }
.row-bg { fill: #fff; } .row-bg.odd { fill: #f8fafc; } .row-bg.failing { fill: #fef2f2; stroke: #fecaca; } .row-bg.after { fill: #fff; }
.fail-bar { fill: #dc2626; }
g.after { opacity: .38; }
text.head { font: 600 11px ${SANS}; fill: #64748b !important; text-transform: uppercase; letter-spacing: .06em; }
text.stepno { font: 700 13px ${MONO}; fill: #64748b !important; } text.stepno.bad { fill: #dc2626 !important; }
text.op { font: 12px ${MONO}; } tspan.name { font-weight: 700; }
text.fact { font: 11px ${MONO}; fill: #94a3b8 !important; }
rect.missing { fill: none; stroke: #dc2626; stroke-width: 1.5; stroke-dasharray: 3 2; } text.ans { font: 12px ${MONO}; fill: #64748b !important; }
text.ans.exp { fill: #15803d !important; font-weight: 700; } text.ans.got { fill: #b91c1c !important; font-weight: 700; } text.ans.after { font-style: italic; }
text.lane-title { font: 700 14px ${SANS}; }
text.addr { font: 11px ${MONO}; fill: #475569 !important; } text.addr.hot { fill: #dc2626 !important; font-weight: 700; }
line.axis { stroke: #94a3b8; stroke-width: 1.5; } line.tick { stroke: #64748b; } line.guide { stroke: #e2e8f0; stroke-width: 1; }
.gap-mark .break { stroke: #64748b; stroke-width: 1.5; fill: none; }
rect.track { fill: #eef2f7; }
line.gap { stroke: #cbd5e1; stroke-dasharray: 2 3; }
.iv-label { font: 600 11px ${MONO}; fill: #fff !important; text-anchor: middle; pointer-events: none; } .iv-label.dark { fill: #0f172a !important; }
rect.new { fill: none; stroke: #0f172a; stroke-width: 1.5; }
path.move { fill: none; stroke: #0f172a; stroke-width: 1.5; }
.target path { fill: none; stroke: #334155; stroke-width: 1.5; } .target text { font: 10px ${SANS}; fill: #334155 !important; }
.target.bad path { stroke: #dc2626; stroke-width: 2; } .target.bad text { fill: #dc2626 !important; font-weight: 700; }
circle.hit { fill: #16a34a; stroke: #fff; stroke-width: 1.5; } circle.hit.bad { fill: #dc2626; }
circle.fault { fill: #fff; stroke: #ea580c; stroke-width: 2; } circle.fault.bad { stroke: #dc2626; }
path.fault-x { stroke: #ea580c; stroke-width: 2; } path.fault-x.bad { stroke: #dc2626; }
circle.ring { fill: none; stroke: #dc2626; stroke-width: 2; stroke-dasharray: 3 2; }
text.probe-label { font: 10px ${SANS}; text-anchor: middle; fill: #334155 !important; }
text.callout { font: 700 11px ${MONO}; fill: #b91c1c !important; }
text.small { font: 10px ${SANS}; fill: #64748b !important; }
#timeline[data-focus] g.iv { opacity: .2; }
#timeline[data-focus] g.iv.focus { opacity: 1; }
`;

/** Hovering a piece of memory lights it up wherever it shows, in every lane and step. */
const SCRIPT = `
(function () {
  var svg = document.getElementById('timeline');
  if (!svg) return;
  var lit = [];
  svg.addEventListener('mouseover', function (e) {
    var g = e.target.closest && e.target.closest('g.iv');
    var tone = g && g.getAttribute('data-tone');
    lit.forEach(function (x) { x.classList.remove('focus'); });
    lit = [];
    if (!tone) { svg.removeAttribute('data-focus'); return; }
    svg.querySelectorAll('g.iv').forEach(function (x) { if (x.getAttribute('data-tone') === tone) { x.classList.add('focus'); lit.push(x); } });
    svg.setAttribute('data-focus', '');
  });
  svg.addEventListener('mouseleave', function () { svg.removeAttribute('data-focus'); lit.forEach(function (x) { x.classList.remove('focus'); }); lit = []; });
})();
`;
