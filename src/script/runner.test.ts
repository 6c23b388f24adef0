import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StoreError } from '../common/errors.js';
import { type CommandTable, readArgs } from './args.js';
import { parseScript } from './parser.js';
import { runBlocks, type ScriptRunner } from './runner.js';

const COMMANDS: CommandTable = {
  echo: { positional: ['TEXT'] },
  silent: {},
  fail: {},
  later: { positional: ['TEXT'] },
  bug: {},
};

/** A runner with trivial commands, recording what it ran. */
class EchoRunner implements ScriptRunner {
  readonly ran: string[] = [];
  closed = 0;

  async execute(command: Parameters<ScriptRunner['execute']>[0]): Promise<string[]> {
    const args = readArgs('t', command, COMMANDS);
    this.ran.push(command.text);
    switch (command.name) {
      case 'echo':
        return [args.text(0)];
      case 'later':
        await new Promise<void>((resolve) => setImmediate(resolve));
        return [args.text(0)];
      case 'fail':
        throw new StoreError('TIER_IO', 'the disk is on fire\nsecond line');
      case 'bug':
        throw new TypeError('x is not a function');
      default:
        return [];
    }
  }

  close(): void {
    this.closed++;
  }
}

async function run(text: string) {
  const runner = new EchoRunner();
  const failures = await runBlocks(parseScript(text, 't'), runner);
  return { runner, failures };
}

describe('runBlocks', () => {
  it('passes blocks whose concatenated output matches, in order, awaiting async commands', async () => {
    const { failures, runner } = await run(
      'echo a\nlater b\necho c\n---\na\nb\nc\n\necho d\n---\nd\n',
    );
    assert.deepEqual(failures, []);
    assert.deepEqual(runner.ran, ['echo a', 'later b', 'echo c', 'echo d']);
  });

  it('compares a block that printed nothing with ok', async () => {
    assert.deepEqual((await run('silent\nsilent\n---\nok\n')).failures, []);
    const { failures } = await run('silent\n---\nnothing\n');
    assert.deepEqual(failures[0]?.actual, ['ok']);
  });

  it('reports a mismatch with the block line, its commands, expected and actual', async () => {
    const { failures } = await run(
      'echo a\n---\na\n\n# next\necho x\necho y\n---\nx\nz\n\necho q\n---\nq\n',
    );
    assert.equal(failures.length, 1);
    assert.deepEqual(failures[0], {
      line: 6,
      commands: ['echo x', 'echo y'],
      expected: ['x', 'z'],
      actual: ['x', 'y'],
      error: undefined,
    });
  });

  it('fails a block whose command throws, with the message as output, then goes on', async () => {
    const { failures, runner } = await run('echo a\nfail\necho b\n---\na\n\necho c\n---\nc\n');
    assert.equal(failures.length, 1);
    assert.equal(failures[0]?.error, 'the disk is on fire\nsecond line');
    assert.deepEqual(failures[0]?.actual, ['a', 'error: the disk is on fire', 'second line']);
    assert.deepEqual(runner.ran, ['echo a', 'fail', 'echo c'], 'stops the block, runs the next');
  });

  it('never passes a block that threw, even when the expected text matches the error', async () => {
    const { failures } = await run('fail\n---\nerror: the disk is on fire\nsecond line\n');
    assert.equal(failures.length, 1);
  });

  it('fails unknown commands and unknown arguments with their line', async () => {
    const { failures } = await run('echo a\n---\na\n\nech a\n---\na\n\necho a b=1\n---\na\n');
    assert.deepEqual(
      failures.map((f) => [f.line, f.actual]),
      [
        [5, ["error: t:5: unknown command 'ech' (known: bug, echo, fail, later, silent)"]],
        [9, ['error: t:9: echo: unknown argument b=1 (allowed: none)']],
      ],
    );
  });
});

describe('runBlocks: !command (expected failure)', () => {
  it('prints the error of a !command as Error: CODE: message, and the block goes on', async () => {
    const { failures, runner } = await run(
      'echo a\n!fail\necho b\n---\na\nError: TIER_IO: the disk is on fire\nsecond line\nb\n',
    );
    assert.deepEqual(failures, []);
    assert.deepEqual(runner.ran, ['echo a', '!fail', 'echo b']);
  });

  it('prints a script error without its file:line prefix', async () => {
    const { failures } = await run(
      "!ech a\n!echo\n---\nError: SCRIPT_ERROR: unknown command 'ech' (known: bug, echo, fail, later, silent)\nError: SCRIPT_ERROR: echo: missing argument TEXT\n",
    );
    assert.deepEqual(failures, []);
  });

  it('fails a block whose !command succeeds, even when the expected text matches', async () => {
    const { failures, runner } = await run('!echo a\necho b\n---\na\nb\n\necho c\n---\nc\n');
    assert.equal(failures.length, 1);
    assert.equal(failures[0]?.error, "expected '!echo a' to fail, but it succeeded");
    assert.deepEqual(failures[0]?.actual, [
      'a',
      "error: expected '!echo a' to fail, but it succeeded",
    ]);
    assert.deepEqual(runner.ran, ['!echo a', 'echo c'], 'stops the block, runs the next');
  });

  it('fails a block whose !command throws something that is not a StoreError', async () => {
    const { failures } = await run('!bug\n---\nError: x is not a function\n');
    assert.equal(failures.length, 1);
    assert.deepEqual(failures[0]?.actual, ['error: x is not a function']);
  });

  it('still fails a block whose command without ! fails, whatever the expected text', async () => {
    const { failures } = await run('fail\n---\nError: TIER_IO: the disk is on fire\nsecond line\n');
    assert.equal(failures.length, 1);
  });

  it('fails a block whose expected error differs from the actual one', async () => {
    const { failures } = await run('!fail\n---\nError: TIER_IO: the disk is fine\nsecond line\n');
    assert.equal(failures.length, 1);
    assert.equal(failures[0]?.error, undefined);
    assert.deepEqual(failures[0]?.actual, ['Error: TIER_IO: the disk is on fire', 'second line']);
  });
});

describe('runBlocks: a runner that formats its expected errors', () => {
  it('prints what formatError returns for a !command, given the error and the command', async () => {
    class Formatting extends EchoRunner {
      formatError(error: StoreError, command: Parameters<ScriptRunner['execute']>[0]): string[] {
        return [`${command.text} failed with ${error.code}`];
      }
    }
    const script = parseScript('!fail\necho a\n---\n!fail failed with TIER_IO\na\n', 't');
    assert.deepEqual(await runBlocks(script, new Formatting()), []);
  });
});
