/**
 * Opening a store for a CLI command.
 *
 * The CLI speaks keys and values as bytes (strings in its language) and has
 * no option for encodings, so a file written with `keyEncoding` or
 * `valueEncoding` cannot be opened by it. The store refuses such a file with
 * `INVALID_OPTIONS`, asking to open it with those encodings: here that
 * refusal also says that the CLI cannot, so the user looks to code instead.
 *
 * @module
 */

import { isStoreError } from '../common/errors.js';
import { MultiStore } from '../store/multistore.js';
import type { MultiStoreOptions } from '../store/options.js';

/** Open a store for a CLI command; a file written with encodings is refused in the CLI's words. */
export function openCliStore(options: MultiStoreOptions): MultiStore {
  try {
    return MultiStore.open(options);
  } catch (error) {
    if (isStoreError(error, 'INVALID_OPTIONS') && /keyEncoding '/.test(error.message)) {
      throw new Error(
        `${error.message}: the multistore CLI opens files without encodings ` +
          '(keys and values as bytes), so read this one from code',
      );
    }
    throw error;
  }
}
