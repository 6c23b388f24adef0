/**
 * The repository's own test scripts, run the way a clone and CI run them.
 *
 * - `scripts/shared-suite.mjs` decides what the conformance step does about
 *   the shared suites (../shared/conformance and ../shared/txn-conformance):
 *   run them, go on without them after one line, or fail when they are
 *   required;
 * - `scripts/tests.mjs` runs each step in a copy of the repository's layout
 *   whose dist/ holds stand-ins (a conformance runner and a crash test that
 *   print their counts, a few node:test files), and ends with one plain
 *   `N passed, N failed` line over every step;
 * - `.ci/run` fails at once, before installing anything, when a shared
 *   suite is not beside the clone.
 */
import assert from 'node:assert/strict';
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('..', import.meta.url));

interface Plan {
  readonly paths?: readonly string[];
  readonly notice?: string;
  readonly error?: string;
}

interface SharedSuite {
  conformancePlan(input: { shared: string; present: readonly string[]; required: boolean }): Plan;
  sharedDir(root: string, env: Record<string, string | undefined>): string;
  sharedRequired(env: Record<string, string | undefined>): boolean;
}

/** The decision module, loaded from scripts/ (plain JavaScript, outside the compiled tree). */
const suite = (await import(
  new URL('../scripts/shared-suite.mjs', import.meta.url).href
)) as SharedSuite;

/**
 * The environment of a child: without the variables these tests set
 * themselves, nor node --test's own (a nested run would report to this one).
 */
function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const base = { ...process.env };
  delete base.MULTISTORE_SHARED;
  delete base.MULTISTORE_REQUIRE_SHARED;
  delete base.NODE_TEST_CONTEXT;
  return { ...base, ...extra };
}

const lines = (text: string) => text.split('\n').filter((line) => line !== '');

describe('the conformance step and the shared suites', () => {
  const BOTH = ['conformance', 'txn-conformance'];

  it('runs both shared suites and our own scripts when they are there', () => {
    const plan = suite.conformancePlan({ shared: '/x/shared', present: BOTH, required: true });
    assert.deepEqual(plan, {
      paths: ['/x/shared/conformance', '/x/shared/txn-conformance', 'conformance'],
      notice: undefined,
    });
  });

  it('goes on with our own scripts after one line, where CI lays the suites, when both are missing', () => {
    const plan = suite.conformancePlan({ shared: '/x/shared', present: [], required: false });
    assert.deepEqual(plan.paths, ['conformance']);
    assert.equal(lines(plan.notice ?? '').length, 1);
    assert.match(
      plan.notice ?? '',
      /shared suites not found at \/x\/shared\/conformance and \/x\/shared\/txn-conformance/,
    );
    assert.match(
      plan.notice ?? '',
      /CI lays them beside the clone, as \.\.\/shared\/conformance and \.\.\/shared\/txn-conformance/,
    );
  });

  it('runs the suite that is there and names the one that is missing, in one line', () => {
    const plan = suite.conformancePlan({
      shared: '/x/shared',
      present: ['conformance'],
      required: false,
    });
    assert.deepEqual(plan.paths, ['/x/shared/conformance', 'conformance']);
    assert.equal(lines(plan.notice ?? '').length, 1);
    assert.match(plan.notice ?? '', /shared suite not found at \/x\/shared\/txn-conformance \(/);
    assert.match(plan.notice ?? '', /as \.\.\/shared\/txn-conformance\)/);
  });

  it('fails when a suite is missing and required', () => {
    for (const present of [[], ['conformance'], ['txn-conformance']]) {
      const plan = suite.conformancePlan({ shared: '/x/shared', present, required: true });
      assert.equal(plan.paths, undefined, present.join());
      assert.match(plan.error ?? '', /\/x\/shared\/\S*conformance.* missing.*requires them/);
    }
  });

  it('looks beside the clone unless MULTISTORE_SHARED says otherwise; CI requires it', () => {
    assert.equal(suite.sharedDir('/w/repo', {}), '/w/shared');
    assert.equal(suite.sharedDir('/w/repo', { MULTISTORE_SHARED: '/s' }), '/s');
    assert.equal(suite.sharedRequired({}), false);
    assert.equal(suite.sharedRequired({ MULTISTORE_REQUIRE_SHARED: '1' }), true);
  });
});

describe('scripts/tests.mjs in a stand-in repository', () => {
  let scratch: string;
  let repo: string;

  /** Write `text` at `path` under the stand-in repository. */
  const put = (path: string, text: string) => {
    mkdirSync(dirname(join(repo, path)), { recursive: true });
    writeFileSync(join(repo, path), text);
  };
  const tests = (step: string, extra: Record<string, string> = {}): SpawnSyncReturns<string> =>
    spawnSync(process.execPath, [join(repo, 'scripts', 'tests.mjs'), step], {
      cwd: repo,
      encoding: 'utf8',
      env: env(extra),
    });

  before(() => {
    scratch = mkdtempSync(join(tmpdir(), 'multistore-scripts-'));
    repo = join(scratch, 'repo');
    cpSync(join(REPO, 'scripts'), join(repo, 'scripts'), { recursive: true });
    put('package.json', '{ "type": "module" }\n');
    // The conformance runner (`main.js run PATH...`, no --tier: every tier that can run):
    // prints what it was asked to run, and counts one per path.
    put(
      'dist/cli/main.js',
      "const paths = process.argv.slice(3);\nconsole.log('run ' + paths.join(' '));\n" +
        "console.log(paths.length + ' passed, 0 failed');\n",
    );
    put('dist/reliability/crash/main.js', "console.log('seed 1, 0.1 s\\n25 passed, 0 failed');\n");
    put(
      'dist/test-support/fast-check-seed.js',
      '// the seed policy, loaded before each test file\n',
    );
    const testFile = (...cases: string[]) =>
      `import { it } from 'node:test';\n${cases.map((c) => `it('${c}', () => {});\n`).join('')}`;
    put('dist/a.test.js', testFile('one', 'two'));
    put('dist/b.test.js', `${testFile('passes')}it('fails', () => { throw new Error('no'); });\n`);
    put('dist/c.slow.test.js', testFile('slow one'));
  });

  after(() => rmSync(scratch, { recursive: true, force: true }));

  it('runs the conformance step without the shared suites after one line, and passes', () => {
    const result = tests('conformance', { MULTISTORE_SHARED: join(scratch, 'missing') });
    assert.equal(result.status, 0, result.stdout + result.stderr);
    const out = lines(result.stdout);
    assert.equal(out.filter((line) => /shared suites? not found/.test(line)).length, 1);
    assert.equal(out.filter((line) => /not found|missing/.test(line)).length, 1, 'one line');
    assert.ok(out.includes('run conformance'), 'only our own scripts');
    assert.equal(out.at(-1), '1 passed, 0 failed');
  });

  it('runs the shared suites when they are there', () => {
    const shared = join(scratch, 'shared');
    mkdirSync(join(shared, 'conformance'), { recursive: true });
    mkdirSync(join(shared, 'txn-conformance'), { recursive: true });
    const result = tests('conformance', { MULTISTORE_SHARED: shared });
    assert.equal(result.status, 0);
    assert.doesNotMatch(result.stdout, /not found/);
    const both = `${join(shared, 'conformance')} ${join(shared, 'txn-conformance')}`;
    assert.ok(lines(result.stdout).includes(`run ${both} conformance`), result.stdout);
    assert.equal(lines(result.stdout).at(-1), '3 passed, 0 failed');
  });

  it('fails the conformance step when a shared suite is required and missing', () => {
    const shared = join(scratch, 'only-spec');
    mkdirSync(join(shared, 'conformance'), { recursive: true });
    const result = tests('conformance', {
      MULTISTORE_SHARED: shared,
      MULTISTORE_REQUIRE_SHARED: '1',
    });
    assert.equal(result.status, 1);
    assert.match(result.stdout, /txn-conformance is missing/);
    assert.doesNotMatch(result.stdout, /^run /m, 'nothing ran');
    assert.equal(lines(result.stdout).at(-1), '0 passed, 1 failed');
  });

  it("reads the runner's excluded count: on the step's line, not in the total", () => {
    const runner = readFileSync(join(repo, 'dist/cli/main.js'), 'utf8');
    try {
      put('dist/cli/main.js', "console.log('3 passed, 0 failed, 2 excluded');\n");
      const result = tests('all', { MULTISTORE_SHARED: join(scratch, 'missing') });
      const out = lines(result.stdout);
      assert.ok(out.includes('conformance: 3 passed, 0 failed, 2 excluded'), result.stdout);
      assert.equal(out.at(-1), '32 passed, 1 failed');
    } finally {
      put('dist/cli/main.js', runner);
    }
  });

  it('fails the conformance step when the shared suite is required and missing', () => {
    const missing = join(scratch, 'missing');
    const result = tests('conformance', {
      MULTISTORE_SHARED: missing,
      MULTISTORE_REQUIRE_SHARED: '1',
    });
    assert.equal(result.status, 1);
    assert.doesNotMatch(result.stdout, /^run /m, 'nothing ran');
    assert.equal(lines(result.stdout).at(-1), '0 passed, 1 failed');
  });

  it('ends `all` with one line per step and the plain total of every step', () => {
    const result = tests('all', { MULTISTORE_SHARED: join(scratch, 'missing') });
    assert.equal(result.status, 1, 'a unit test failed');
    assert.deepEqual(lines(result.stdout).slice(-5), [
      'conformance: 1 passed, 0 failed',
      'crash: 25 passed, 0 failed',
      'unit: 3 passed, 1 failed',
      'slow: 1 passed, 0 failed',
      '30 passed, 1 failed',
    ]);
  });

  it('counts a step that fails without counts as one failure', () => {
    put('dist/reliability/crash/main.js', "console.log('boom'); process.exit(3);\n");
    const result = tests('crash');
    assert.equal(result.status, 1);
    assert.equal(lines(result.stdout).at(-1), '0 passed, 1 failed');
  });
});

describe('.ci/run', () => {
  /** Run a copy of .ci/run in a scratch clone, with `suites` laid in ../shared beside it. */
  function ciRun(suites: readonly string[]): SpawnSyncReturns<string> {
    const scratch = mkdtempSync(join(tmpdir(), 'multistore-ci-'));
    try {
      const ci = join(scratch, 'repo', '.ci', 'run');
      mkdirSync(dirname(ci), { recursive: true });
      cpSync(join(REPO, '.ci', 'run'), ci);
      for (const name of suites) mkdirSync(join(scratch, 'shared', name), { recursive: true });
      return spawnSync('bash', [ci], { encoding: 'utf8', env: env() });
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }

  it('fails at once, before installing anything, when ../shared is not beside the clone', () => {
    const result = ciRun([]);
    assert.equal(result.status, 1);
    assert.equal(result.stdout, '', 'neither node --version nor npm ran');
    assert.match(result.stderr, /shared suite \.\.\/shared\/conformance is missing/);
  });

  it('fails at once when the transaction suite is missing from ../shared', () => {
    const result = ciRun(['conformance']);
    assert.equal(result.status, 1);
    assert.equal(result.stdout, '', 'neither node --version nor npm ran');
    assert.match(result.stderr, /shared suite \.\.\/shared\/txn-conformance is missing/);
  });
});
