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
  import: { pairs: true },
  commit_at: { positional: ['VERSION'], pairs: true },
  begin: { prefixed: true, flags: ['readonly'], named: ['version'] },
  keys: { prefixed: true, positional: ['KEY...'] },
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

  it('reads many pairs, flags, variadic positionals and integer positionals', () => {
    const imported = read('import a=1 version=2 c=');
    assert.deepEqual(imported.pairs(), [
      { key: utf8('a'), value: utf8('1') },
      { key: utf8('version'), value: utf8('2') },
      { key: utf8('c'), value: utf8('') },
    ]);
    const at = read('commit_at 7 a=1');
    assert.deepEqual([at.integerAt(0), at.pairs().length], [7, 1]);
    const begin = read('t1: begin readonly version=3');
    assert.deepEqual([begin.flag('readonly'), begin.integer('version')], [true, 3]);
    const keys = read('t1: keys a b "c"');
    assert.equal(keys.count, 3);
    assert.deepEqual(keys.bytes(2), utf8('c'));
  });

  it('rejects a missing pair, a repeated flag, a non-integer and a missing variadic argument', () => {
    assertScriptError(() => read('import'), /import: expected at least one KEY=VALUE argument/);
    assertScriptError(() => read('import b=1 a'), /import: unexpected argument a/);
    assertScriptError(() => read('t1: begin "readonly"'), /begin: unexpected argument "readonly"/);
    assertScriptError(() => read('t1: begin readonly readonly'), /begin: readonly given twice/);
    assertScriptError(
      () => read('commit_at x a=1').integerAt(0),
      /commit_at: x: expected an integer/,
    );
    assertScriptError(() => read('t1: keys'), /keys: missing argument KEY\.\.\./);
  });

  it('checks the NAME: prefix: required where declared, refused elsewhere', () => {
    assertScriptError(() => read('begin'), /begin needs a NAME: prefix/);
    assertScriptError(() => read('t1: get a'), /get takes no NAME: prefix/);
  });

  it('rejects an unknown command, listing the known ones', () => {
    assertScriptError(
      () => read('gett a'),
      /unknown command 'gett' \(known: begin, commit_at, get, import, keys, scan, set\)/,
    );
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
