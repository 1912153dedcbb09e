// The HTML beside a case file: X.case.json -> X.case.html.
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { loadShownCase } from './case.ts';
import { renderHtml } from './html.ts';

/** Where the picture of a case file goes. */
export const htmlPathFor = (casePath: string): string =>
  casePath.endsWith('.json') ? `${casePath.slice(0, -'.json'.length)}.html` : `${casePath}.html`;

/** Render a case file to `out`. Throws CaseFileError on a bad file. */
export function writeShowHtml(casePath: string, out: string): void {
  const html = renderHtml(loadShownCase(casePath));
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, html);
}

/**
 * The picture of a case the suite has just written, beside it. A run never fails for want of
 * a picture: on any error there is none, and its path is not printed.
 */
export function writeCaseHtml(casePath: string): string | null {
  const out = htmlPathFor(casePath);
  try {
    writeShowHtml(casePath, out);
    return out;
  } catch {
    rmSync(out, { force: true }); // never leave the picture of an earlier case beside this one
    return null;
  }
}

/** The terminal line naming the picture of a case, when there is one. */
export const viewLines = (casePath: string): string[] => {
  const out = htmlPathFor(casePath);
  return existsSync(out) ? [`  view:   ${out}`] : [];
};
