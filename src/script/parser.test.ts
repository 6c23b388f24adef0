import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { utf8 } from '../common/bytes.js';
import { type Arg, parseScript } from './parser.js';
import { ScriptError } from './script-error.js';

const FILE = 'dir/script';

function commandsOf(text: string) {
  return parseScript(text, FILE).blocks.flatMap((block) => block.commands);
}

function argsOf(line: string): readonly Arg[] {
  const [command] = commandsOf(`${line}\n---\nok\n`);
  assert.ok(command);
  return command.args;
}

function bytes(...values: number[]): Uint8Array {
  return Uint8Array.from(values);
}

/** Assert that parsing `text` throws a ScriptError at `line` whose message matches `pattern`. */
function assertMalformed(text: string, line: number, pattern: RegExp): void {
  assert.throws(
    () => parseScript(text, FILE),
    (error: unknown) => {
      assert.ok(error instanceof ScriptError, `expected ScriptError, got ${String(error)}`);
      assert.equal(error.code, 'SCRIPT_ERROR');
      assert.equal(error.file, FILE);
      assert.equal(error.line, line);
      assert.match(error.message, new RegExp(`^${FILE}:${line}: `));
      assert.match(error.message, pattern);
      return true;
    },
  );
}

describe('parseScript: blocks', () => {
  it('reads commands, the separator and expected output', () => {
    const script = parseScript('set a=1\nget a\n---\n"a" => "1"\n', FILE);
    assert.equal(script.file, FILE);
    assert.equal(script.blocks.length, 1);
    const [block] = script.blocks;
    assert.equal(block?.line, 1);
    assert.deepEqual(
      block?.commands.map((c) => [c.line, c.name, c.text]),
      [
        [1, 'set', 'set a=1'],
        [2, 'get', 'get a'],
      ],
    );
    assert.deepEqual(block?.expected, ['"a" => "1"']);
  });

  it('skips # and // comment lines and blank lines between blocks', () => {
    const text = '# head\n// more\n\n\n\nget a\n---\nok\n\n\n# between\n\nget b\n---\nok';
    const script = parseScript(text, FILE);
    assert.deepEqual(
      script.blocks.map((b) => [b.line, b.commands[0]?.name, b.expected]),
      [
        [6, 'get', ['ok']],
        [13, 'get', ['ok']],
      ],
    );
  });

  it('skips blank lines and comments among a block’s commands', () => {
    const text = 'set a=1\n\n# why\n  // indented comment\nset b=2\n\nscan\n---\nx\n';
    const [block] = parseScript(text, FILE).blocks;
    assert.deepEqual(
      block?.commands.map((c) => [c.line, c.name]),
      [
        [1, 'set'],
        [5, 'set'],
        [7, 'scan'],
      ],
    );
  });

  it('ends the expected output at the first blank line, or at the end of file', () => {
    const text = 'get a\n---\nline 1\nline 2\n\nget b\n---\nlast';
    const blocks = parseScript(text, FILE).blocks;
    assert.deepEqual(blocks[0]?.expected, ['line 1', 'line 2']);
    assert.deepEqual(blocks[1]?.expected, ['last']);
  });

  it('takes expected lines literally (a # line is output, not a comment)', () => {
    const [block] = parseScript('get a\n---\n# not a comment\n// nor this\n', FILE).blocks;
    assert.deepEqual(block?.expected, ['# not a comment', '// nor this']);
  });

  it('drops trailing whitespace of expected lines and accepts CRLF', () => {
    const [block] = parseScript('get a\r\n---\r\nsize: 1  \r\nok\t\r\n', FILE).blocks;
    assert.deepEqual(block?.expected, ['size: 1', 'ok']);
  });

  it('treats a whitespace-only line as blank', () => {
    const blocks = parseScript('get a\n---\nx\n   \nget b\n---\ny\n', FILE).blocks;
    assert.deepEqual(
      blocks.map((b) => b.expected),
      [['x'], ['y']],
    );
  });

  it('reads multi-line blocks such as batch ... commit', () => {
    const [block] = parseScript(
      'batch version=3\nset a=v3\ndrop a keep_last_versions=1\ncommit\n---\nok\n',
      FILE,
    ).blocks;
    assert.deepEqual(
      block?.commands.map((c) => c.name),
      ['batch', 'set', 'drop', 'commit'],
    );
  });

  it('accepts a file with no block (the run decides what that means)', () => {
    assert.deepEqual(parseScript('# only comments\n\n', FILE).blocks, []);
    assert.deepEqual(parseScript('', FILE).blocks, []);
  });
});

describe('parseScript: arguments', () => {
  it('reads positional and name=value arguments', () => {
    const args = argsOf('get a version=3 reverse=true');
    assert.deepEqual(
      args.map((a) => [a.key?.text, a.value.text]),
      [
        [undefined, 'a'],
        ['version', '3'],
        ['reverse', 'true'],
      ],
    );
    assert.deepEqual(args[1]?.key?.bytes, utf8('version'));
  });

  it('allows several spaces and tabs between arguments', () => {
    const args = argsOf('set b=2     version=1\tx');
    assert.deepEqual(
      args.map((a) => a.text),
      ['b=2', 'version=1', 'x'],
    );
  });

  it('reads quoted sides of a key=value pair as raw bytes', () => {
    const [pair] = argsOf('set "b\\xff"=2f');
    assert.deepEqual(pair?.key?.bytes, bytes(0x62, 0xff));
    assert.equal(pair?.key?.quoted, true);
    assert.deepEqual(pair?.value.bytes, utf8('2f'));
    assert.equal(pair?.value.quoted, false);
    assert.equal(pair?.text, '"b\\xff"=2f');
  });

  it('reads empty keys and values, quoted or (for values) bare', () => {
    const [quoted] = argsOf('set ""=""');
    assert.deepEqual([quoted?.key?.bytes, quoted?.value.bytes], [bytes(), bytes()]);
    const [bare] = argsOf('set empty=');
    assert.deepEqual([bare?.key?.bytes, bare?.value.bytes], [utf8('empty'), bytes()]);
  });

  it('keeps = inside quotes, so a quoted range is one positional word', () => {
    const [range] = argsOf('range "b..=c"');
    assert.equal(range?.key, undefined);
    assert.deepEqual(range?.value.bytes, utf8('b..=c'));
  });

  it('reads an unquoted ..=b as a key=value pair', () => {
    const [arg] = argsOf('range ..=b');
    assert.deepEqual([arg?.key?.text, arg?.value.text], ['..', 'b']);
  });

  it('decodes every escape to bytes; \\xNN is one raw byte, not a code point', () => {
    const [arg] = argsOf(String.raw`get "\0\n\t\\\"\'\x00\xFf\x7e"`);
    assert.deepEqual(arg?.value.bytes, bytes(0x00, 0x0a, 0x09, 0x5c, 0x22, 0x27, 0x00, 0xff, 0x7e));
  });

  it('accepts single quotes with the same escapes', () => {
    const [arg] = argsOf(String.raw`get 'a"b\'c\x01'`);
    assert.deepEqual(arg?.value.bytes, bytes(0x61, 0x22, 0x62, 0x27, 0x63, 0x01));
  });

  it('encodes other characters as UTF-8 (👋 is four bytes)', () => {
    const [pair] = argsOf('set "👋"="é"');
    assert.deepEqual(pair?.key?.bytes, bytes(0xf0, 0x9f, 0x91, 0x8b));
    assert.deepEqual(pair?.value.bytes, bytes(0xc3, 0xa9));
  });
});

describe('parseScript: malformed input names file and line', () => {
  it('rejects an unterminated quote', () => {
    assertMalformed('get a\n---\nok\n\nget "abc\n---\nok\n', 5, /unterminated quote/);
    assertMalformed("set 'a=1\n---\nok\n", 1, /unterminated quote/);
  });

  it('shows a bad escape as it was typed, one backslash', () => {
    assertMalformed('set c="\\u00e9"\n---\nok\n', 1, /: bad escape \\u \(allowed: \\0 \\xNN/);
    assertMalformed('get "\\x4"\n---\nok\n', 1, /: bad escape \\x4" \(allowed/);
  });

  it('rejects a bad escape', () => {
    assertMalformed('\nget "a\\q"\n---\nok\n', 2, /bad escape \\q \(allowed/);
    assertMalformed('get "\\x4"\n---\nok\n', 1, /bad escape/);
    assertMalformed('get "\\xzz"\n---\nok\n', 1, /bad escape/);
    assertMalformed('get "abc\\"\n---\nok\n', 1, /unterminated quote/);
  });

  it('rejects a backslash outside quotes', () => {
    assertMalformed('set b\\xff=1\n---\nok\n', 1, /only allowed in quotes/);
  });

  it('rejects commands with no --- after them, at the block’s first line', () => {
    assertMalformed('get a\n---\nok\n\n# c\nset a=1\nget a\n', 6, /no '---'/);
  });

  it('rejects a --- with no command before it', () => {
    assertMalformed('get a\n---\nok\n\n\n---\nok\n', 6, /without a command/);
  });

  it('rejects a --- with no expected output', () => {
    assertMalformed('get a\n---\n\nget b\n---\nok\n', 2, /no expected output/);
    assertMalformed('get a\n---', 2, /no expected output/);
  });

  it('rejects stray text: leftover output, glued quotes, a second =', () => {
    assertMalformed('get a\n---\nok\n\n"a" => "1"\n---\nok\n', 5, /expected a command name/);
    assertMalformed('get "a"b\n---\nok\n', 1, /unexpected "b"/);
    assertMalformed('get a"b"\n---\nok\n', 1, /unexpected "\\""/);
    assertMalformed('set a=b=c\n---\nok\n', 1, /unexpected "="/);
    assertMalformed('set =1\n---\nok\n', 1, /missing key/);
    assertMalformed('size: 3\n---\nok\n', 1, /expected a command name/);
  });

  it('reads a ! glued to the command name as an expected failure', () => {
    const [block] = parseScript('!get a version=-1\n  !commit\nget a\n---\nok\n', FILE).blocks;
    assert.deepEqual(
      block?.commands.map((c) => [c.name, c.expectFailure, c.text, c.args.length]),
      [
        ['get', true, '!get a version=-1', 2],
        ['commit', true, '!commit', 0],
        ['get', false, 'get a', 1],
      ],
    );
  });

  it('rejects a ! that is not glued to a command name', () => {
    assertMalformed('! get a\n---\nok\n', 1, /expected a command name, got ""/);
    assertMalformed('!!get a\n---\nok\n', 1, /expected a command name, got "!get"/);
  });

  it('reads a NAME: prefix before the command (and its !)', () => {
    const text = 't1: begin\n  bob: !commit\nr_1:\tget b\nget c\n---\nok\n';
    const [block] = parseScript(text, FILE).blocks;
    assert.deepEqual(
      block?.commands.map((c) => [c.prefix, c.name, c.expectFailure, c.args.length, c.text]),
      [
        ['t1', 'begin', false, 0, 't1: begin'],
        ['bob', 'commit', true, 0, 'bob: !commit'],
        ['r_1', 'get', false, 1, 'r_1:\tget b'],
        [undefined, 'get', false, 1, 'get c'],
      ],
    );
  });

  it('needs whitespace after a prefix, and a command after it', () => {
    assertMalformed('t1:get a\n---\nok\n', 1, /expected a command name, got "t1:get"/);
    assertMalformed('t1:\n---\nok\n', 1, /expected a command name, got ""/);
    assertMalformed('t-1: get a\n---\nok\n', 1, /expected a command name, got "t-1:"/);
  });

  it('says how to write a transaction command when its name is glued on or its ! comes first', () => {
    const hint = /, got "t1:get"; a transaction's command is written NAME: COMMAND \(t1: get a\)/;
    assertMalformed('t1:get a\n---\nok\n', 1, hint);
    assertMalformed(
      '!t1: commit\n---\nok\n',
      1,
      /got "t1:"; .* its ! after the name \(t1: !commit\)/,
    );
    assertMalformed('!get: a\n---\nok\n', 1, /got "get:"; a transaction's command/);
  });

  it('ends a command line at a # or // that follows whitespace, outside quotes', () => {
    const text = 't2: set balance=70 # balance - 30\nget a // why\nget "b #c" x#y\n---\nok\n';
    const commands = commandsOf(text);
    assert.deepEqual(
      commands.map((c) => c.args.map((arg) => arg.text)),
      [['balance=70'], ['a'], ['"b #c"', 'x#y']],
    );
    assert.equal(commands[0]?.text, 't2: set balance=70 # balance - 30');
  });

  it('reports the column of the problem', () => {
    assertMalformed('get a "b\n---\nok\n', 1, /column 7/);
  });
});
