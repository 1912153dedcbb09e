// The command line as a user meets it: exit codes, one-line errors, case files that replay,
// reports that are the same byte for byte for the same seed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { renderRules, renderSchema } from '../harness/spec-doc.ts';

const root = new URL('..', import.meta.url).pathname;

function cli(...args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'harness/cli/main.ts', ...args], { cwd: root, encoding: 'utf8' });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const scratch = () => mkdtempSync(join(tmpdir(), 'vfio-conform-cli-'));
const noStackTrace = (text: string) => expect(text).not.toMatch(/^\s+at /m);

describe('run', () => {
  test('the bundled correct backends conform: exit 0 and a closing count line', () => {
    const r = cli('run', '--runs', '10');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^vfio-conform: 16 passed, 0 failed, 0 skipped$/m);
  });

  test('a mutant fails with its rule, writes a CASE.json, and replay reproduces it', () => {
    const dir = scratch();
    const r = cli('run', '--backend', 'sim-type1~unmap-stale-tail', '--rules', 'T1-NO-STALE', '--cases', dir);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('VIOLATION T1-NO-STALE on sim-type1~unmap-stale-tail');
    const [file] = readdirSync(dir);
    const replay = cli('replay', join(dir, file!));
    expect(replay.status).toBe(1);
    expect(replay.stdout).toMatch(/reproduced: T1-NO-STALE at step \d+/);
    const fixed = cli('replay', join(dir, file!), '--backend', 'sim-type1');
    expect(fixed.status).toBe(0);
    expect(fixed.stdout).toContain('not reproduced');
  });

  test('the same seed and options give the same reports byte for byte', () => {
    const dir = scratch();
    const args = ['run', '--runs', '15', '--seed', '9', '--backend', 'sim-type1', '--backend', 'sim-type1~charge-once', '--cases', join(dir, 'cases')];
    cli(...args, '--json', join(dir, 'a.json'), '--junit', join(dir, 'a.xml'));
    cli(...args, '--json', join(dir, 'b.json'), '--junit', join(dir, 'b.xml'));
    expect(readFileSync(join(dir, 'a.json'), 'utf8')).toBe(readFileSync(join(dir, 'b.json'), 'utf8'));
    expect(readFileSync(join(dir, 'a.xml'), 'utf8')).toBe(readFileSync(join(dir, 'b.xml'), 'utf8'));
    expect(readFileSync(join(dir, 'a.xml'), 'utf8')).toContain('<failure type="T1-ACCT-PER-MAPPING"');
  });
});

describe('expectations files', () => {
  test('a known divergence is reported and set aside; the run fails only on what is not listed', () => {
    const dir = scratch();
    const expect1 = join(dir, 'charge-once.json');
    writeFileSync(expect1, JSON.stringify({ format: 'vfio-conform/expectations', backend: 'sim-type1~charge-once',
      known: [{ rule: 'T1-ACCT-PER-MAPPING', reason: 'test: this mutant charges a shared page once' }] }));
    const r = cli('run', '--runs', '30', '--backend', 'sim-type1~charge-once', '--rules', 'T1-ACCT-*', '--expect', expect1, '--cases', dir, '--json', join(dir, 'r.json'));
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/known divergences: T1-ACCT-PER-MAPPING in \d+/);
    const report = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8'));
    const known = report.backends[0].properties.flatMap((p: { known?: { case: string }[] }) => p.known ?? []);
    expect(known.length).toBeGreaterThan(0);
    expect(cli('replay', known[0].case).stdout).toMatch(/reproduced: T1-ACCT-PER-MAPPING/);
  });

  test('an expectations file naming an unknown rule is rejected', () => {
    const dir = scratch();
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ format: 'vfio-conform/expectations', backend: 'x', known: [{ rule: 'T9-NOPE', reason: 'r' }] }));
    const r = cli('run', '--expect', bad);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/known\[0\]\.rule is not a rule ID/);
  });
});

describe('bad input gets one clear line and a non-zero exit', () => {
  const cases: [string, string[], RegExp][] = [
    ['unknown flag', ['run', '--bogus'], /Unknown option '--bogus'/],
    ['unknown backend', ['run', '--backend', 'nope'], /unknown backend "nope"/],
    ['bad number', ['run', '--runs', 'abc'], /--runs needs an integer/],
    ['rule pattern matching nothing', ['run', '--rules', 'T9-*'], /matches no rule/],
    ['unknown command', ['frob'], /unknown command "frob"/],
    ['missing case file', ['replay', '/nonexistent/case.json'], /no such file/],
    ['backend option', ['run', '--backend', 'sim-type1:bogus=1'], /unknown option "bogus"/],
  ];
  for (const [name, args, message] of cases) {
    test(name, () => {
      const r = cli(...args);
      expect(r.status).toBeGreaterThan(0);
      expect(r.stderr).toMatch(message);
      noStackTrace(r.stderr + r.stdout);
    });
  }

  test('corrupt and foreign case files', () => {
    const dir = scratch();
    const write = (name: string, text: string) => {
      const p = join(dir, name);
      writeFileSync(p, text);
      return p;
    };
    expect(cli('replay', write('bad.json', '{bad')).stderr).toMatch(/not valid JSON/);
    expect(cli('replay', write('foreign.json', '{"x":1}')).stderr).toMatch(/not a vfio-conform case file/);
    const wrongField = JSON.stringify({ format: 'vfio-conform/case', version: 1, backend: 'sim-type1', ops: [{ op: 'map', proc: 0, flags: 3, iova: 12, vaddr: '0x0', size: '0x1000' }] });
    const r = cli('replay', write('field.json', wrongField));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/ops\[0\]\.iova: expected a u64/);
  });
});

describe('a backend that misbehaves is reported as such, and nothing gathered is lost', () => {
  for (const [fault, message] of [['throw', /threw: simulated crash$/m], ['malformed', /malformed result #\d+ \(\w+\)\.ok: expected true or false/], ['short', /returned \d+ results for \d+ operations/]] as const) {
    test(fault, () => {
      const dir = scratch();
      const r = cli('run', '--runs', '5', '--backend', 'sim-type1', '--backend', `./test/fixtures/faulty-backend.ts:fault=${fault}`,
        '--cases', dir, '--json', join(dir, 'report.json'));
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(message);
      noStackTrace(r.stderr + r.stdout);
      const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
      expect(report.backends[0].properties.every((p: { status: string }) => p.status === 'pass')).toBe(true);
      expect(report.backends[1].properties[0].status).toBe('error');
      expect(readdirSync(dir).some((f) => f.endsWith('.case.json'))).toBe(true);
    });
  }
});

describe('spec', () => {
  test('spec/type1/rules.md is generated from spec/type1/rules.ts (run `npm run spec`)', () => {
    expect(readFileSync(join(root, 'spec/type1/rules.md'), 'utf8')).toBe(renderRules());
  });

  test('spec/type1/protocol.schema.json is generated from the operation table (run `npm run spec`)', () => {
    expect(readFileSync(join(root, 'spec/type1/protocol.schema.json'), 'utf8')).toBe(renderSchema());
  });
});
