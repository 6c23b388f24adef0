/**
 * The encodings a store was written with, kept in the tier beside its tables.
 *
 * ```
 *   stored setting   asked for        data?   result
 *   none             binary, binary   any     binary (nothing written)
 *   none             other            no      store the encodings asked for
 *   none             other            yes     INVALID_OPTIONS: the data is binary
 *   some             the same         any     use them
 *   some             other            any     INVALID_OPTIONS, naming the stored ones
 * ```
 *
 * A read-only tier (a reader beside a writer) reads the setting like a
 * writer but never stores one: with none stored it takes the data for binary,
 * so asking it for other encodings is `INVALID_OPTIONS` even over no data
 * (its writer would store the encodings it opens with before any commit).
 *
 * @module
 */

import { describe } from '../common/bytes.js';
import { InvalidInputError, TierIoError } from '../common/errors.js';
import type { AbstractTier } from '../tier/abstract-tier.js';
import {
  BINARY_CODECS,
  type Codecs,
  codecsFor,
  KEY_ENCODINGS,
  type KeyEncoding,
  VALUE_ENCODINGS,
  type ValueEncoding,
} from './encodings.js';
import { holdsData } from './table-catalog.js';

/** The setting holding a store's encodings (absent: binary keys and values). */
export const ENCODINGS_SETTING = 'encodings';

/**
 * The codecs a store opens with: the encodings asked for, checked against
 * those kept in the tier. A tier without the setting holds binary data, or
 * none: a store asking for other encodings over no data stores them; over
 * data, or against other stored encodings, it is `INVALID_OPTIONS` (the
 * bytes would be read as something they are not). A binary store over no
 * setting writes nothing.
 */
export function reconcileEncodings(
  tier: AbstractTier,
  keyEncoding: KeyEncoding,
  valueEncoding: ValueEncoding,
): Codecs {
  const stored = storedEncodings(tier);
  const wanted = { keyEncoding, valueEncoding };
  if (stored === undefined) {
    if (keyEncoding === 'binary' && valueEncoding === 'binary') return BINARY_CODECS;
    if (!tier.readOnly && !holdsData(tier)) {
      tier.writeSetting(ENCODINGS_SETTING, JSON.stringify(wanted));
      return codecsFor(keyEncoding, valueEncoding);
    }
  }
  const found = stored ?? { keyEncoding: 'binary', valueEncoding: 'binary' };
  if (found.keyEncoding !== keyEncoding || found.valueEncoding !== valueEncoding) {
    const where =
      stored !== undefined
        ? 'was written with'
        : tier.readOnly
          ? 'keeps no encodings (a read-only open cannot store them) and so reads as written with'
          : 'holds data written with the default encodings,';
    throw new InvalidInputError(
      'INVALID_OPTIONS',
      `the store ${where} keyEncoding '${found.keyEncoding}' and valueEncoding ` +
        `'${found.valueEncoding}'; open it with those (asked for '${keyEncoding}' and '${valueEncoding}')`,
    );
  }
  return keyEncoding === 'binary' && valueEncoding === 'binary'
    ? BINARY_CODECS
    : codecsFor(keyEncoding, valueEncoding);
}

function storedEncodings(
  tier: AbstractTier,
): { keyEncoding: KeyEncoding; valueEncoding: ValueEncoding } | undefined {
  const text = tier.readSetting(ENCODINGS_SETTING);
  if (text === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new TierIoError(`the stored encodings are damaged: ${describe(text)}`, error);
  }
  const { keyEncoding, valueEncoding } = (parsed ?? {}) as Record<string, unknown>;
  if (
    !KEY_ENCODINGS.includes(keyEncoding as KeyEncoding) ||
    !VALUE_ENCODINGS.includes(valueEncoding as ValueEncoding)
  ) {
    throw new TierIoError(`the stored encodings are damaged: ${describe(text)}`, undefined);
  }
  return { keyEncoding: keyEncoding as KeyEncoding, valueEncoding: valueEncoding as ValueEncoding };
}
