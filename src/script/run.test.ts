import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { InspectableTier as ModelTier } from '../test-support/tier-model.js';
import { discoverScripts, isScriptName, runnerKindOf } from './discover.js';
import { runnerFor } from './registry.js';
import { formatFailure, formatSummary } from './report.js';
import { type FileResult, type RunOptions, runScripts } from './run.js';
import type { RunnerFactory } from './runner.js';
import { createTierRunner } from './tier-runner.js';
import { defaultTierOpener } from './tier-session.js';

let root: string;

function write(relative: string, text: string): string {
  const path = join(root, relative);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  return path;
}

const modelOptions = { tiers: ['memory'], openTier: () => new ModelTier() } as const;

async function runOne(
  relative: string,
  text: string,
  options: Partial<RunOptions> = {},
): Promise<FileResult> {
  const path = write(relative, text);
  const report = await runScripts({ ...modelOptions, ...options, paths: [path] });
  assert.equal(report.results.length, 1);
  return report.results[0] as FileResult;
}

before(() => {
  root = mkdtempSync(join(tmpdir(), 'multistore-run-test-'));
});

after(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('runScripts', () => {
  it('passes a matching script', async () => {
    const result = await runOne('a/tier/pass', 'set a=1\n---\nok\n\nget a\n---\n"a" => "1"\n');
    assert.deepEqual(result, {
      file: join(root, 'a/tier/pass'),
      tierKind: 'memory',
      passed: true,
      errors: [],
      failures: [],
    });
  });

  it('fails a mismatching script and reports the block line with a diff', async () => {
    const result = await runOne(
      'b/tier/fail',
      'set a=1\nset b=2\n---\nok\nok\n\n# wrong\nscan\n---\n"a" => "1"\n"b" => "3"\n',
    );
    assert.equal(result.passed, false);
    assert.equal(result.failures[0]?.line, 8);
    const text = formatFailure(result).join('\n');
    assert.equal(
      text,
      [
        `FAIL [memory] ${result.file}`,
        `  at ${result.file}:8`,
        '    > scan',
        '  --- expected',
        '  +++ actual',
        '     "a" => "1"',
        '  -  "b" => "3"',
        '  +  "b" => "2"',
      ].join('\n'),
    );
  });

  it('fails a malformed file with file:line and runs none of it', async () => {
    let opened = 0;
    const result = await runOne('c/tier/bad', 'set a=1\n---\nok\n\nget "a\n---\nok\n', {
      openTier: () => {
        opened++;
        return new ModelTier();
      },
    });
    assert.equal(result.passed, false);
    assert.deepEqual(result.errors, [`${result.file}:5: column 5: unterminated quote "`]);
    assert.equal(opened, 0);
    assert.match(formatFailure(result).join('\n'), /error: .*bad:5: column 5: unterminated quote/);
  });

  it('fails a file that holds no block', async () => {
    const result = await runOne('d/tier/empty', '# nothing here\n\n');
    assert.deepEqual(result.errors, [`${result.file}: the file holds no block`]);
  });

  it('fails scripts of a runner that does not exist, and outside any runner folder', async () => {
    const none = { runners: () => undefined };
    const store = await runOne('e/store/x', 'get a\n---\n"a" => None\n', none);
    assert.deepEqual([store.passed, store.errors], [false, ['no store runner yet']]);
    const stats = await runOne('e/stats/x', 'stats\n---\nok\n', none);
    assert.deepEqual(stats.errors, ['no stats runner yet']);
    const loose = await runOne('e/loose', 'get a\n---\nok\n');
    assert.match(
      loose.errors[0] ?? '',
      /not inside a folder named store, tier, stats, txn, txn-conformance/,
    );
  });

  it('uses the runner of the nearest enclosing folder, from the lookup it is given', async () => {
    const seen: string[] = [];
    const runners =
      (kind: string): RunnerFactory | undefined =>
      (context) => {
        seen.push(`${kind}:${context.file}`);
        return createTierRunner(context);
      };
    const result = await runOne('f/tier/x/store/y', 'scan\n---\nok\n', { runners });
    assert.equal(result.passed, true);
    assert.deepEqual(seen, [`store:${result.file}`]);
  });

  it('fails a file whose runner cannot start or cannot close', async () => {
    const refuse: RunnerFactory = () => {
      throw new Error('cannot start');
    };
    const failing = await runOne('g/tier/a', 'scan\n---\nok\n', { runners: () => refuse });
    assert.deepEqual(failing.errors, ['cannot start']);
    const badClose: RunnerFactory = (context) => {
      const runner = createTierRunner(context);
      return {
        execute: (command) => runner.execute(command),
        close: () => {
          throw new Error('close broke');
        },
      };
    };
    const closing = await runOne('g/tier/b', 'scan\n---\nok\n', { runners: () => badClose });
    assert.deepEqual(closing.errors, ['closing the runner failed: close broke']);
  });

  it('closes tiers a runner forgot, and deletes temporary SQLite files', async () => {
    const tiers: ModelTier[] = [];
    const paths: string[] = [];
    const forgetful: RunnerFactory = (context) => {
      context.openTier();
      return { execute: () => [], close: () => {} };
    };
    const result = await runOne('h/tier/a', 'scan\n---\nok\n', {
      tiers: ['sqlite'],
      sqliteFile: true,
      runners: () => forgetful,
      openTier: (_kind, path) => {
        paths.push(path ?? '');
        const tier = new ModelTier();
        tiers.push(tier);
        writeFileSync(path ?? '', 'x');
        return tier;
      },
    });
    assert.equal(result.passed, true);
    assert.equal(tiers[0]?.closed, true);
    assert.match(paths[0] ?? '', /multistore-script-.*tier\.sqlite$/);
    assert.equal(existsSync(dirname(paths[0] ?? '')), false);
  });

  it('runs every file on every tier, tier by tier, and summarises', async () => {
    write('i/tier/1', 'set a=1\n---\nok\n');
    write('i/tier/2', 'get a\n---\n"a" => None\n');
    write('i/tier/README.md', 'not a script');
    write('i/tier/.hidden', 'not a script');
    write('i/tier/sub/3', 'get a\n---\nwrong\n');
    const streamed: string[] = [];
    const report = await runScripts({
      paths: [join(root, 'i')],
      tiers: ['memory', 'sqlite'],
      runners: runnerFor,
      openTier: defaultTierOpener,
      onResult: (result) => streamed.push(`${result.tierKind} ${result.file.slice(root.length)}`),
    });
    assert.equal(report.ok, false);
    assert.deepEqual(streamed, [
      'memory /i/tier/1',
      'memory /i/tier/2',
      'memory /i/tier/sub/3',
      'sqlite /i/tier/1',
      'sqlite /i/tier/2',
      'sqlite /i/tier/sub/3',
    ]);
    assert.deepEqual(formatSummary(report.results, ['memory', 'sqlite']), [
      'memory: 2 passed, 1 failed, 0 excluded',
      'sqlite: 2 passed, 1 failed, 0 excluded',
      '4 passed, 2 failed, 0 excluded',
    ]);
  });

  it('reports missing paths and paths without scripts, and runs nothing', async () => {
    mkdirSync(join(root, 'empty'), { recursive: true });
    write('docs/README.md', '# only docs');
    const missing = join(root, 'missing');
    const report = await runScripts({
      ...modelOptions,
      paths: [missing, join(root, 'empty'), join(root, 'docs')],
    });
    assert.deepEqual(report.problems, [
      `no such file or directory: ${missing}`,
      `no script files under ${join(root, 'empty')}`,
      `no script files under ${join(root, 'docs')}`,
    ]);
    assert.deepEqual([report.results.length, report.ok], [0, false]);
  });

  it('runs a file given twice only once', async () => {
    const path = write('j/tier/1', 'scan\n---\nok\n');
    const report = await runScripts({ ...modelOptions, paths: [path, join(root, 'j')] });
    assert.equal(report.results.length, 1);
  });
});

describe('exclusions', () => {
  const failing = 'get a\n---\n"a" => "1"\n';
  const passing = 'get a\n---\n"a" => None\n';
  const listed = (script: string) => [{ folder: 'tier', script, reason: 'we decided against it' }];

  it('counts a listed script that fails as excluded, with its reason, on every run', async () => {
    const path = write('x1/tier/sub/fails', failing);
    const report = await runScripts({
      ...modelOptions,
      paths: [path],
      exclusions: listed('sub/fails'),
    });
    const [result] = report.results;
    assert.ok(result);
    assert.deepEqual(
      [report.ok, result.passed, result.excluded],
      [true, false, 'we decided against it'],
    );
    assert.deepEqual(formatFailure(result), [`EXCLUDED [memory] ${path}: we decided against it`]);
    assert.deepEqual(formatSummary(report.results, ['memory']), [
      'memory: 0 passed, 0 failed, 1 excluded',
      '0 passed, 0 failed, 1 excluded',
    ]);
  });

  it('fails a listed script that passes: the exclusion must go', async () => {
    const path = write('x2/tier/passes', passing);
    const report = await runScripts({
      ...modelOptions,
      paths: [path],
      exclusions: listed('passes'),
    });
    const [result] = report.results;
    assert.ok(result);
    assert.deepEqual([report.ok, result.passed, result.excluded], [false, false, undefined]);
    assert.match(
      result.errors.join('\n'),
      /listed in the exclusion file, but it passes: remove the exclusion/,
    );
    assert.deepEqual(
      formatSummary(report.results, ['memory']).at(-1),
      '0 passed, 1 failed, 0 excluded',
    );
  });

  it('fails the run when an exclusion names no script under a runner folder it reached', async () => {
    const path = write('x3/tier/present', passing);
    const report = await runScripts({ ...modelOptions, paths: [path], exclusions: listed('gone') });
    assert.equal(report.ok, false);
    assert.deepEqual(report.exclusionErrors, [
      `exclusion names no script: ${join(root, 'x3', 'tier', 'gone')}`,
    ]);
  });

  it('leaves scripts that are not listed alone, and ignores exclusions of folders not run', async () => {
    const path = write('x4/tier/other', failing);
    const exclusions = [{ folder: 'stats', script: 'missing', reason: 'elsewhere' }];
    const report = await runScripts({ ...modelOptions, paths: [path], exclusions });
    assert.deepEqual(
      [report.ok, report.results[0]?.excluded, report.exclusionErrors],
      [false, undefined, []],
    );
  });
});

describe('discovery rules', () => {
  it('skips dotfiles and documentation', () => {
    const skipped = ['.x', '.git', 'README.md', 'readme', 'README.txt', 'NOTICE.md', 'NOTICE'];
    skipped.push('LICENSE', 'LICENSE-APACHE-2.0', 'License_MIT', 'COPYING', 'notes.md', 'x.MD');
    for (const name of skipped) assert.equal(isScriptName(name), false, name);
    for (const name of ['01_get', 'script.txt', 'licensed_keys', 'noticed', 'readmes', 'md']) {
      assert.equal(isScriptName(name), true, name);
    }
  });

  it("does not walk into node_modules: a project's dependencies hold no scripts", async () => {
    const script = write('project/conformance/store/01_get', 'get a\n---\nok\n');
    write('project/node_modules/some-lib/store/index.js', 'module.exports = 1;\n');
    write('project/conformance/node_modules/store/x', 'get a\n---\nok\n');
    const { files, problems } = await discoverScripts([join(root, 'project')]);
    assert.deepEqual(problems, []);
    assert.deepEqual(
      files.map((file) => file.path),
      [script],
    );
  });

  it('picks the nearest enclosing store, tier, stats, txn or txn-conformance folder', () => {
    assert.equal(runnerKindOf('/c/reference/tier/drop/parity/01'), 'tier');
    assert.equal(runnerKindOf('/s/txn-conformance/reference/multi/bank'), 'txn');
    assert.equal(runnerKindOf('/p/conformance/txn/anomaly/write_skew'), 'txn');
    assert.equal(runnerKindOf('/p/txn-other/01'), undefined);
    assert.equal(runnerKindOf('/c/seed/stats/drop/01'), 'stats');
    assert.equal(runnerKindOf('/c/store/x/tier/01'), 'tier');
    assert.equal(runnerKindOf('/c/tier'), undefined, 'the file itself does not count');
    assert.equal(runnerKindOf('/c/storage/01'), undefined);
  });
});
