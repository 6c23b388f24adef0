/**
 * Following a range from page to page.
 *
 * Every caller that reads a whole range (store ranges, the statistics
 * recount, the retention sweep, the tier runner, the contract suite) walks it
 * the same way: read a page, hand out its entries, resume from its cursor
 * until a page comes back without one. {@link pages} is that loop, written
 * once; the caller decides what to do between pages.
 *
 * @module
 */

import type {
  ChangeCursor,
  ChangePage,
  ChangeRequest,
  HorizonPage,
  PageRequest,
  RangeCursor,
  RangePage,
  TierReader,
} from './tier.js';

/** A page request without its cursor: the whole range, to be followed. */
export type RangeRequest = Omit<PageRequest, 'cursor'>;

/** Every page of a range, each read only when the previous one has been handed out. */
export function* pages(
  tier: Pick<TierReader, 'page'>,
  table: string,
  request: RangeRequest,
): Generator<RangePage, void, undefined> {
  let cursor: RangeCursor | undefined;
  do {
    const page = tier.page(table, { ...request, cursor });
    yield page;
    cursor = page.cursor;
  } while (cursor !== undefined);
}

/** Every page of `horizonPage` over a range, each read only when the previous one has been handed out. */
export function* horizonPages(
  tier: Pick<TierReader, 'horizonPage'>,
  table: string,
  request: RangeRequest,
): Generator<HorizonPage, void, undefined> {
  let cursor: RangeCursor | undefined;
  do {
    const page = tier.horizonPage(table, { ...request, cursor });
    yield page;
    cursor = page.cursor;
  } while (cursor !== undefined);
}

/** A change request without its cursor: the whole version interval, to be followed. */
export type ChangeRange = Omit<ChangeRequest, 'cursor'>;

/** Every page of `changePage` over a version interval, each read only when the previous one has been handed out. */
export function* changePages(
  tier: Pick<TierReader, 'changePage'>,
  table: string,
  request: ChangeRange,
): Generator<ChangePage, void, undefined> {
  let cursor: ChangeCursor | undefined;
  do {
    const page = tier.changePage(table, { ...request, cursor });
    yield page;
    cursor = page.cursor;
  } while (cursor !== undefined);
}
