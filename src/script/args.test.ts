import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { utf8 } from '../common/bytes.js';
import { type CommandTable, parseRange, readArgs } from './args.js';
import { parseScript } from './parser.js';
import { ScriptError } from './script-error.js';

const TABLE: CommandTable = {
  set: { pair: true, named: ['version'] },
  get: { positional: ['KEY'], named: ['version', 'reverse'] },
  scan: {},
};

function read(line: string) {
  const command = parseScript(`\n${line}\n---\nok\n`, 'f').blocks[0]?.commands[0];
  assert.ok(command);
  return readArgs('f', command, TABLE);
}

function assertScriptError(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof ScriptError);
    assert.equal(error.line, 2);
    assert.match(error.message, /^f:2: /);
    assert.match(error.message, pattern);
    return true;
  });
}

describe('readArgs', () => {
  it('decodes the pair, positional and named arguments', () => {
    const set = read('set version=7 version=3');
    assert.deepEqual(set.pair(), { key: utf8('version'), value: utf8('7') });
    assert.equal(set.integer('version'), 3);
    const get = read('get "k\\x00" reverse=false');
    assert.deepEqual(get.bytes(0), Uint8Array.from([0x6b, 0]));
    assert.equal(get.boolean('reverse'), false);
    assert.equal(get.integer('version'), undefined);
    assert.equal(get.has('version'), false);
  });

  it('rejects an unknown command, listing the known ones', () => {
    assertScriptError(() => read('gett a'), /unknown command 'gett' \(known: get, scan, set\)/);
    assertScriptError(() => read('toString'), /unknown command 'toString'/);
  });

  it('rejects unknown, repeated, missing and extra arguments', () => {
    assertScriptError(
      () => read('get a versoin=1'),
      /get: unknown argument versoin=1 \(allowed: version, reverse\)/,
    );
    assertScriptError(() => read('get a version=1 version=2'), /version given twice/);
    assertScriptError(() => read('get'), /missing argument KEY/);
    assertScriptError(() => read('get a b'), /unexpected argument b/);
    assertScriptError(() => read('scan x=1'), /unknown argument x=1 \(allowed: none\)/);
    assertScriptError(() => read('set a'), /expected KEY=VALUE as first argument, got a/);
    assertScriptError(() => read('set'), /got nothing/);
  });

  it('rejects values of the wrong shape', () => {
    assertScriptError(
      () => read('get a version=x').integer('version'),
      /version=x: expected an integer/,
    );
    assertScriptError(() => read('get a version=1.5').integer('version'), /expected an integer/);
    assertScriptError(() => read('get a version=--1').integer('version'), /expected an integer/);
    assertScriptError(() => read('get a version=').integer('version'), /expected an integer/);
    assertScriptError(
      () => read('get a reverse=yes').boolean('reverse'),
      /reverse=yes: expected true or false/,
    );
    assertScriptError(() => read('get ab').range(0), /expected a range/);
  });

  it('passes on integers the store must judge (negative, beyond safe integers)', () => {
    assert.equal(read('get a version=-1').integer('version'), -1);
    assert.equal(read('get a version=007').integer('version'), 7);
    assert.equal(read('get a version=99999999999999999999').integer('version'), 1e20);
  });
});

describe('parseRange', () => {
  const range = (text: string) => parseRange(utf8(text));
  const key = (text: string) => utf8(text);

  it('reads every range form', () => {
    assert.deepEqual(range('a..b'), {
      start: { kind: 'included', key: key('a') },
      end: { kind: 'excluded', key: key('b') },
    });
    assert.deepEqual(range('a..=b'), {
      start: { kind: 'included', key: key('a') },
      end: { kind: 'included', key: key('b') },
    });
    assert.deepEqual(range('a..'), {
      start: { kind: 'included', key: key('a') },
      end: { kind: 'unbounded' },
    });
    assert.deepEqual(range('..b'), {
      start: { kind: 'unbounded' },
      end: { kind: 'excluded', key: key('b') },
    });
    assert.deepEqual(range('..=b'), {
      start: { kind: 'unbounded' },
      end: { kind: 'included', key: key('b') },
    });
    assert.deepEqual(range('..'), { start: { kind: 'unbounded' }, end: { kind: 'unbounded' } });
  });

  it('splits at the first ..', () => {
    assert.deepEqual(range('a...b'), {
      start: { kind: 'included', key: key('a') },
      end: { kind: 'excluded', key: key('.b') },
    });
  });

  it('rejects text without .. and ..= without an end', () => {
    assert.equal(range('ab'), undefined);
    assert.equal(range('a.b'), undefined);
    assert.equal(range('a..='), undefined);
  });
});
