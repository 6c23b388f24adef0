import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { utf8 } from '../common/bytes.js';
import { formatBytes, formatEntry } from './format.js';
import { parseScript } from './parser.js';

describe('formatBytes', () => {
  it('shows printable ASCII as is, in double quotes', () => {
    assert.equal(formatBytes(utf8('a b~ !')), '"a b~ !"');
    assert.equal(formatBytes(new Uint8Array()), '""');
  });

  it('escapes " and \\ and every non-printable byte as lower-case \\xNN', () => {
    assert.equal(formatBytes(Uint8Array.from([0x62, 0xff, 0x00])), '"b\\xff\\x00"');
    assert.equal(formatBytes(utf8('"\\')), '"\\x22\\x5c"');
    assert.equal(
      formatBytes(Uint8Array.from([0x1f, 0x20, 0x7e, 0x7f, 0x0a])),
      '"\\x1f ~\\x7f\\x0a"',
    );
    assert.equal(formatBytes(utf8('👋')), '"\\xf0\\x9f\\x91\\x8b"');
  });

  it('is read back by the parser as the same bytes (any byte string)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        const [block] = parseScript(`get ${formatBytes(bytes)}\n---\nok\n`, 'prop').blocks;
        assert.deepEqual(block?.commands[0]?.args[0]?.value.bytes, bytes);
      }),
    );
  });
});

describe('formatEntry', () => {
  it('prints a value, or None for an absent value or tombstone', () => {
    assert.equal(formatEntry(utf8('a'), utf8('1')), '"a" => "1"');
    assert.equal(formatEntry(utf8('a'), undefined), '"a" => None');
  });
});
