/**
 * The error of a malformed conformance script.
 *
 * The parser and the runners throw it for text they cannot read (an
 * unterminated quote, a missing `---`, an unknown command or argument). It is
 * a {@link StoreError} with the code `SCRIPT_ERROR`, so the CLI reports it
 * like any other coded error, and it names the file and line.
 *
 * @module
 */

import { StoreError } from '../common/errors.js';

/** A conformance script is malformed; names the file and line. */
export class ScriptError extends StoreError {
  /** File the script came from (or `<input>`). */
  readonly file: string;
  /** 1-based line of the offending text. */
  readonly line: number;

  constructor(file: string, line: number, message: string) {
    super('SCRIPT_ERROR', `${file}:${line}: ${message}`);
    this.file = file;
    this.line = line;
  }
}
