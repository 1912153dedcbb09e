// Machine-readable reports: JSON and JUnit XML. Neither holds a time or a host name.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { findRule } from '../families/index.ts';
import { totals, type BackendReport, type SuiteOptions } from './suite.ts';
import { SUITE_VERSION } from './version.ts';

function write(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

export function writeJsonReport(path: string, options: SuiteOptions, reports: readonly BackendReport[]): void {
  const { casesDir: _, ...shown } = options;
  write(path, JSON.stringify({ suite: SUITE_VERSION, options: shown, totals: totals(reports), backends: reports }, null, 2) + '\n');
}

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function junitXml(reports: readonly BackendReport[]): string {
  const all = totals(reports);
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="vfio-conform" tests="${all.passed + all.failed + all.skipped + all.errors}" failures="${all.failed}" errors="${all.errors}" skipped="${all.skipped}">`,
  ];
  for (const b of reports) {
    const t = totals([b]);
    lines.push(`  <testsuite name="${esc(b.backend)}" tests="${t.passed + t.failed + t.skipped + t.errors}" failures="${t.failed}" errors="${t.errors}" skipped="${t.skipped}">`);
    if (b.error && b.properties.length === 0) {
      lines.push(`    <testcase classname="${esc(b.backend)}" name="load"><error message="${esc(b.error)}"/></testcase>`);
    }
    for (const p of b.properties) {
      const open = `    <testcase classname="${esc(b.backend)}" name="${esc(p.property)}"`;
      switch (p.status) {
        case 'pass': lines.push(`${open}/>`); break;
        case 'skip': lines.push(`${open}><skipped message="${esc(p.reason)}"/></testcase>`); break;
        case 'fail': {
          const rule = findRule(p.rule)?.rule;
          lines.push(`${open}><failure type="${esc(p.rule)}" message="${esc(`${p.rule} violated at step ${p.step}; case ${p.case}`)}">${esc(rule?.statement ?? '')}</failure></testcase>`);
          break;
        }
        case 'error': lines.push(`${open}><error message="${esc(p.message)}"/></testcase>`); break;
      }
    }
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>');
  return lines.join('\n') + '\n';
}

export function writeJunitReport(path: string, reports: readonly BackendReport[]): void {
  write(path, junitXml(reports));
}
