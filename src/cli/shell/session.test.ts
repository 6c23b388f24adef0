import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { STORE_LANGUAGE } from '../../script/store-session.js';
import { MultiStore } from '../../store/multistore.js';
import {
  commandNames,
  DESCRIPTIONS,
  helpLines,
  TRANSACTION_DESCRIPTIONS,
  transactionCommandNames,
  transactionUsageOf,
  usageOf,
} from './help.js';
import { HISTORY_SIZE, historyPath, loadHistory, saveHistory } from './history-file.js';
import { promptOf, runPiped } from './repl.js';
import { ShellSession } from './session.js';

let scratch: string;

before(() => {
  scratch = mkdtempSync(join(tmpdir(), 'multistore-shell-unit-'));
});

after(() => {
  rmSync(scratch, { recursive: true, force: true });
});

async function withShell(body: (shell: ShellSession, store: MultiStore) => Promise<void>) {
  const store = MultiStore.open();
  try {
    await body(new ShellSession(store), store);
  } finally {
    await store.close();
  }
}

describe('ShellSession', () => {
  it('runs store-language lines and tracks the current version', () =>
    withShell(async (shell) => {
      assert.equal(shell.version, 0);
      assert.deepEqual(await shell.run('set a=1', 1), { lines: [] });
      assert.deepEqual(await shell.run('  set a=2 version=5  ', 2), { lines: [] });
      assert.equal(shell.version, 5);
      assert.deepEqual((await shell.run('get a version=4', 3)).lines, ['"a" => "1"']);
      assert.deepEqual((await shell.run('contains a', 4)).lines, ['"a" => true']);
    }));

  it('skips blank and comment lines', () =>
    withShell(async (shell) => {
      for (const line of ['', '   ', '# note', '// note']) {
        assert.deepEqual(await shell.run(line, 1), { lines: [] });
      }
      assert.equal(shell.version, 0);
    }));

  it('turns every failure into one line without file or line prefix', () =>
    withShell(async (shell, store) => {
      const unknown = await shell.run('sett a=1', 1);
      assert.equal(unknown.error, "unknown command 'sett' (type help for the list)");
      assert.equal((await shell.run('get a b', 2)).error, 'get: unexpected argument b');
      assert.equal(
        (await shell.run('get a version=x', 3)).error,
        'get: version=x: expected an integer',
      );
      assert.equal(
        (await shell.run('get a version=-1', 3)).error,
        'version must be a non-negative safe integer, got the number -1 (INVALID_VERSION)',
      );
      assert.equal(
        (await shell.run('!get a', 3)).error,
        "'!' (a command that must fail) is for scripts, not the shell",
      );
      assert.equal((await shell.run('quit now', 4)).error, 'quit takes no arguments');
      assert.equal(
        (await shell.run('help nope', 5)).error,
        "no command 'nope' (type help for the list)",
      );
      assert.equal((await shell.run('commit', 6)).error, 'commit without batch');
      await store.close();
      assert.equal((await shell.run('get a', 7)).error, 'the store is closed (STORE_CLOSED)');
    }));

  it('shows the version and an open batch in the prompt', () =>
    withShell(async (shell) => {
      await shell.run('set a=1', 1);
      assert.equal(promptOf(shell), 'multistore v1> ');
      await shell.run('batch', 2);
      assert.equal(promptOf(shell), 'multistore v1 batch> ');
      assert.match((await shell.run('get a', 3)).error ?? '', /not allowed inside batch/);
      await shell.run('commit', 4);
      assert.equal(promptOf(shell), 'multistore v2> ');
    }));

  it('asks to quit on quit and exit', () =>
    withShell(async (shell) => {
      assert.equal((await shell.run('quit', 1)).quit, true);
      assert.equal((await shell.run('exit', 2)).quit, true);
    }));
});

describe('runPiped', () => {
  it('prints outputs on one stream, numbered errors on the other, and counts failures', () =>
    withShell(async (shell) => {
      const input = new PassThrough();
      const output = new PassThrough();
      const errors = new PassThrough();
      input.end('set a=1\nnope\nget a\nbatch\n');
      const failures = await runPiped(shell, { input, output, errors });
      assert.equal(failures, 2);
      assert.equal(String(output.read()), '"a" => "1"\n');
      assert.equal(
        String(errors.read()),
        "error: line 2: unknown command 'nope' (type help for the list)\n" +
          'error: the open batch was never committed: its writes were discarded\n',
      );
    }));
});

describe('ShellSession: named transactions', () => {
  it('runs NAME: commands in their transaction, interleaved, and follows their commits', () =>
    withShell(async (shell) => {
      await shell.run('set a=1', 1);
      assert.deepEqual(await shell.run('t1: begin', 2), { lines: [] });
      await shell.run('t2: begin', 3);
      assert.deepEqual(shell.transactions, ['t1', 't2']);
      assert.equal(promptOf(shell), 'multistore v1 [t1 t2]> ');
      await shell.run('t1: set a=2', 4);
      assert.deepEqual((await shell.run('t1: get a', 5)).lines, ['t1: "a" => "2"']);
      assert.deepEqual((await shell.run('t2: get a', 6)).lines, ['t2: "a" => "1"']);
      assert.deepEqual((await shell.run('get a', 7)).lines, ['"a" => "1"']);
      assert.deepEqual(await shell.run('t1: commit', 8), { lines: [] });
      assert.equal(shell.version, 2, 'current follows the transaction commit');
      assert.deepEqual((await shell.run('get a', 9)).lines, ['"a" => "2"']);
      await shell.run('t2: set a=3', 10);
      const conflict = await shell.run('t2: commit', 11);
      assert.match(conflict.error ?? '', /\(TRANSACTION_CONFLICT\)$/);
      assert.deepEqual(shell.transactions, [], 'a failed commit ends the transaction');
      assert.equal(
        (await shell.run('t2: get a', 12)).error,
        'no open transaction t2 (begin it first)',
      );
    }));

  it('rolls back and reports transactions left open when the input ends', async () => {
    const store = MultiStore.open();
    try {
      const input = new PassThrough();
      const output = new PassThrough();
      const errors = new PassThrough();
      input.end('t1: begin\nt1: set a=1\n');
      const failures = await runPiped(new ShellSession(store), { input, output, errors });
      assert.equal(failures, 1);
      assert.equal(
        String(errors.read()),
        'error: transaction t1 was never committed: it was rolled back\n',
      );
      assert.equal(store.get('a'), undefined);
      assert.equal(store.stats().snapshots.open, 0);
    } finally {
      await store.close();
    }
  });
});

describe('help', () => {
  it('describes every command the shell accepts', () => {
    for (const name of commandNames()) {
      assert.ok(DESCRIPTIONS[name] !== undefined, `description of ${name}`);
      assert.ok(usageOf(name)?.startsWith(name), `usage of ${name}`);
    }
    for (const name of Object.keys(STORE_LANGUAGE)) assert.ok(commandNames().includes(name));
  });

  it('derives usage from the argument table', () => {
    assert.equal(usageOf('set'), 'set KEY=VALUE [version=N]');
    assert.equal(usageOf('range'), 'range RANGE [version=N] [reverse=BOOL]');
    assert.equal(usageOf('flush'), 'flush');
    assert.equal(usageOf('nope'), undefined);
    assert.equal(helpLines('nope'), undefined);
    assert.deepEqual(helpLines('get'), [
      'get KEY [version=N]',
      '  the value of KEY at version N.',
      'NAME: get KEY...',
      '  the value of KEY as NAME reads it (its own writes first).',
    ]);
  });

  it('describes every transaction command, with its NAME: prefix', () => {
    for (const name of transactionCommandNames()) {
      assert.ok(TRANSACTION_DESCRIPTIONS[name] !== undefined, `description of ${name}`);
      assert.ok(transactionUsageOf(name)?.startsWith(`NAME: ${name}`), `usage of ${name}`);
      assert.ok(
        helpLines()?.some((line) => line.includes(`NAME: ${name}`)),
        `${name} in help`,
      );
    }
    assert.equal(
      transactionUsageOf('begin'),
      'NAME: begin [readonly] [version=N] [isolation=snapshot|serializable] [max_age_ms=MS]',
    );
    assert.equal(transactionUsageOf('set'), 'NAME: set KEY=VALUE...');
    assert.equal(usageOf('begin'), undefined, 'begin exists only with a prefix');
    assert.equal(helpLines('begin')?.[0], transactionUsageOf('begin'));
  });
});

describe('history file', () => {
  it('round-trips the newest lines, oldest first on disk', () => {
    const path = join(scratch, 'history');
    const newestFirst = Array.from(
      { length: HISTORY_SIZE + 5 },
      (_, i) => `get k${HISTORY_SIZE + 4 - i}`,
    );
    assert.equal(saveHistory(path, newestFirst), true);
    const onDisk = readFileSync(path, 'utf8').trimEnd().split('\n');
    assert.equal(onDisk.length, HISTORY_SIZE);
    assert.equal(onDisk.at(-1), `get k${HISTORY_SIZE + 4}`);
    assert.deepEqual(loadHistory(path), newestFirst.slice(0, HISTORY_SIZE));
  });

  it('is best effort: unreadable or unwritable paths are ignored', () => {
    assert.deepEqual(loadHistory(join(scratch, 'missing')), []);
    assert.equal(saveHistory(join(scratch, 'no-dir', 'history'), ['a']), false);
    assert.equal(saveHistory(scratch, ['a']), false, 'a directory is in the way');
    assert.equal(saveHistory(undefined, ['a']), false);
  });

  it('lives in MULTISTORE_HISTORY, else in the home directory', () => {
    assert.equal(historyPath({ MULTISTORE_HISTORY: '/x/h' }), '/x/h');
    assert.equal(historyPath({ MULTISTORE_HISTORY: '' }), undefined);
    assert.match(historyPath({}) ?? '', /\.multistore_history$/);
  });
});
