// The command line as a user meets it: exit codes, one-line errors, case files that replay,
// reports that are the same byte for byte for the same seed.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { generatedDocs } from '../harness/spec-doc.ts';
import { scratch } from './support/cli.ts';
import { FAMILIES } from '../families/index.ts';

const root = new URL('..', import.meta.url).pathname;

function cli(...args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'harness/cli/main.ts', ...args], { cwd: root, encoding: 'utf8' });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const noStackTrace = (text: string) => expect(text).not.toMatch(/^\s+at /m);

describe('run', () => {
  test('the bundled correct backends of every family conform: exit 0 and a closing count line', () => {
    // Each default backend runs the properties its capabilities and profile allow; the rest are skipped.
    let passed = 0;
    let skipped = 0;
    for (const family of FAMILIES) {
      for (const name of family.defaultBackends) {
        const bundled = family.bundled.find((b) => b.name === name)!;
        const { info } = bundled.kind === 'real' ? { info: null } : bundled.create({});
        for (const p of family.properties) {
          const applies = info !== null && p.requires.every((c) => info.capabilities.includes(c)) && (!p.profiles || p.profiles.includes(info.profile));
          if (applies) passed++;
          else skipped++;
        }
      }
    }
    expect(FAMILIES.map((f) => f.id)).toEqual(['type1', 'viommu', 'iommufd', 'spapr']);
    const r = cli('run', '--runs', '10');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^vfio-conform: ${passed} passed, 0 failed, ${skipped} skipped$`, 'm'));
  });

  test('a mutant fails with its rule, writes a CASE.json, and replay reproduces it', () => {
    const dir = scratch('vfio-conform-cli-');
    const r = cli('run', '--backend', 'sim-type1~unmap-stale-tail', '--rules', 'T1-NO-STALE', '--cases', dir);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('VIOLATION T1-NO-STALE on sim-type1~unmap-stale-tail');
    const file = readdirSync(dir).find((f) => f.endsWith('.case.json'));
    const replay = cli('replay', join(dir, file!));
    expect(replay.status).toBe(1);
    expect(replay.stdout).toMatch(/reproduced: T1-NO-STALE at step \d+/);
    const fixed = cli('replay', join(dir, file!), '--backend', 'sim-type1');
    expect(fixed.status).toBe(0);
    expect(fixed.stdout).toContain('not reproduced');
  });

  test('the same seed and options give the same reports byte for byte', () => {
    const dir = scratch('vfio-conform-cli-');
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
    const dir = scratch('vfio-conform-cli-');
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
    const dir = scratch('vfio-conform-cli-');
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
    ['seed past 32 bits (it would repeat a smaller one)', ['run', '--seed', '4294967296'], /--seed needs an integer from 0 to 4294967295/],
    ['negative seed', ['run', '--seed=-1'], /--seed needs an integer from 0 to 4294967295/],
    ['timeout past what a timer holds', ['run', '--timeout', '2147484'], /--timeout needs an integer from 1 to 2147483/],
    ['no command', [], /^usage: vfio-conform <command>/],
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
    const dir = scratch('vfio-conform-cli-');
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
  for (const [fault, message] of [
    ['throw', /threw: simulated crash$/m],
    ['malformed', /malformed result #\d+ \(\w+\)\.ok: expected true or false/],
    ['short', /returned \d+ results for \d+ operations/],
    ['extra', /returned (\d+) results for (?!\1)\d+ operations/],
    ['counters', /malformed result #\d+ \(counters\)\.lockedVm: expected 2 processes, got 3/],
  ] as const) {
    test(fault, () => {
      const dir = scratch('vfio-conform-cli-');
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
  for (const doc of generatedDocs()) {
    test(`${doc.path} is generated from its family's tables (run \`npm run spec\`)`, () => {
      expect(readFileSync(join(root, doc.path), 'utf8')).toBe(doc.text);
    });
  }
});

describe('case files are data', () => {
  test('a version-1 case file (before families) still replays', () => {
    const dir = scratch('vfio-conform-cli-');
    const path = join(dir, 'v1.case.json');
    writeFileSync(path, JSON.stringify({
      format: 'vfio-conform/case', version: 1, suite: 'vfio-conform 0.1.0', backend: 'sim-type1~unmap-stale-tail', property: 'unmap-semantics', seed: 1,
      failure: { step: 3, rule: 'T1-NO-STALE' },
      ops: [
        { op: 'mmap', proc: 0, vaddr: '0x7f0000000000', size: '0x1000', prot: 'rw', backing: 'anon' },
        { op: 'map', proc: 0, flags: 3, iova: '0xfffffffffffff000', vaddr: '0x7f0000000000', size: '0x1000' },
        { op: 'unmap', proc: 0, flags: 0, iova: '0xfffffffffffff000', size: '0x1000' },
        { op: 'dmaRead', iova: '0xfffffffffffff000' },
      ],
    }));
    const r = cli('replay', path);
    expect(r.stdout).toMatch(/reproduced: T1-NO-STALE at step 3/);
    expect(r.status).toBe(1);
  });

  test('a written case records its family, profile and protocol version', () => {
    const dir = scratch('vfio-conform-cli-');
    cli('run', '--backend', 'sim-type1-v1~v1-unmap-inside', '--rules', 'T1-UNMAP-V1-START-INSIDE', '--runs', '200', '--cases', dir);
    const doc = JSON.parse(readFileSync(join(dir, readdirSync(dir).find((f) => f.endsWith('.case.json'))!), 'utf8'));
    expect([doc.version, doc.family, doc.profile, doc.protocol]).toEqual([2, 'type1', 'type1v1', 2]);
  });

  test('a case file naming a command or a module is refused; --backend runs it deliberately', () => {
    const dir = scratch('vfio-conform-cli-');
    const marker = join(dir, 'pwned');
    for (const backend of [`exec:touch ${marker}`, './test/fixtures/faulty-backend.ts', 'linux-type1@intel-iommu']) {
      const path = join(dir, 'hostile.case.json');
      writeFileSync(path, JSON.stringify({ format: 'vfio-conform/case', version: 2, family: 'type1', backend, ops: [{ op: 'getInfo' }] }));
      const r = cli('replay', path);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/never starts a process or loads a module by itself: run it deliberately with --backend SPEC/);
      expect(existsSync(marker)).toBe(false);
    }
    const deliberate = cli('replay', join(dir, 'hostile.case.json'), '--backend', 'sim-type1');
    expect(deliberate.stdout).toMatch(/not reproduced/);
  });
});

describe('families', () => {
  test('families lists type1, viommu, iommufd and spapr with their profiles; rules and backends take --family', () => {
    const r = cli('families');
    expect(r.stdout).toMatch(/^type1 .*\n\s+profiles: type1v2, type1v1, type1v2-compat, type1v1-compat; \d+ rules, 9 properties/m);
    expect(r.stdout).toMatch(/^viommu .*\n\s+profiles: vtd, smmuv3, virtio-iommu, mpc; \d+ rules, \d+ properties/m);
    expect(r.stdout).toMatch(/^iommufd .*\n\s+profiles: iommufd; \d+ rules, \d+ properties/m);
    expect(r.stdout).toMatch(/^spapr .*\n\s+profiles: spapr-v2, spapr-v1; \d+ rules, \d+ properties/m);
    expect(cli('backends', '--family', 'spapr').stdout).toMatch(/sim-spapr-v2[\s\S]*linux-spapr-v2@pseries[\s\S]*linux-spapr-v1@pseries/);
    expect(cli('rules', '--family', 'viommu').stdout).toContain('VIOMMU-SHADOW-NO-CUT');
    const type1Rules = cli('rules', '--family', 'type1').stdout;
    expect(type1Rules).toContain('T1-NO-STALE');
    // A rule that binds one implementation of the container says which.
    expect(type1Rules).toMatch(/T1-COMPAT-UNMAP-V2-BISECT +MUST v2, compat only /);
    expect(type1Rules).toMatch(/T1-MAP-ENTRY-LIMIT +MUST v1 and v2, type1 only /);
    expect(cli('rules', '--family', 'iommufd').stdout).toContain('IOMMUFD-UNMAP-PARTIAL');
    expect(cli('backends', '--family', 'iommufd').stdout).toMatch(/sim-iommufd[\s\S]*linux-iommufd@intel-iommu[\s\S]*linux-iommufd@virtio-iommu/);
    expect(cli('backends', '--family', 'type1').stdout).toContain('sim-type1~unmap-stale-tail');
    const bad = cli('rules', '--family', 'nope');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--family nope: unknown family \(known: type1, viommu, iommufd, spapr\)/);
  });
});

describe('serve', () => {
  const hello = (protocol: number) => spawnSync(process.execPath, ['--import', 'tsx', 'harness/cli/main.ts', 'serve', '--backend', 'sim-type1'],
    { cwd: root, encoding: 'utf8', input: JSON.stringify({ id: 0, type: 'hello', protocol, suite: 'test' }) + '\n' });

  test('answers a version-2 hello with the family, and a version-1 hello as version 1 did', () => {
    const v2 = JSON.parse(hello(2).stdout.split('\n')[0]!);
    expect([v2.protocol, v2.family, v2.info.profile]).toEqual([2, 'type1', 'type1v2']);
    const v1 = JSON.parse(hello(1).stdout.split('\n')[0]!);
    expect([v1.protocol, 'family' in v1, v1.info.profile]).toEqual([1, false, 'type1v2']);
    expect(JSON.parse(hello(3).stdout.split('\n')[0]!).type).toBe('error');
  });
});

describe('conventions', () => {
  test('--version, and --help for every command, on stdout with exit 0', () => {
    const version = cli('--version');
    expect([version.status, version.stdout.trim()]).toEqual([0, `vfio-conform ${JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version}`]);
    for (const command of ['run', 'diff', 'replay', 'show', 'serve', 'rules', 'backends', 'families', 'merge']) {
      const r = cli(command, '--help');
      expect(r.status, command).toBe(0);
      expect(r.stdout, command).toMatch(new RegExp(`^usage: vfio-conform ${command}`));
    }
  });

  test('two backends that share a name keep their case files apart', () => {
    const dir = scratch('vfio-conform-cli-');
    cli('run', '--rules', 'T1-NO-STALE', '--runs', '50', '--cases', dir,
      '--backend', 'sim-type1~unmap-stale-tail', '--backend', 'sim-type1~unmap-stale-tail:dmaEntryLimit=64');
    const cases = readdirSync(dir).filter((f) => f.endsWith('.case.json')).sort();
    expect(cases).toEqual(['sim-type1~unmap-stale-tail--unmap-semantics.case.json', 'sim-type1~unmap-stale-tail.2--unmap-semantics.case.json']);
    expect(JSON.parse(readFileSync(join(dir, cases[1]!), 'utf8')).backend).toBe('sim-type1~unmap-stale-tail:dmaEntryLimit=64');
  });
});

