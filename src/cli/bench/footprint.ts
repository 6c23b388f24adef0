/**
 * What a stored version costs: retained heap, and bytes on disk.
 *
 * Run in a child of its own (child.ts), once per implementation and shape:
 *
 * ```
 *   open an empty subject, gc          heap before
 *   load the shape's history, settle   (N versions)
 *   drop every reference to the data, gc
 *                                      heap after   -> (after - before) / versions
 *   close                              size of the subject's directory / versions
 *                                      (a server's subject: its tables' size, before close)
 * ```
 *
 * Heap is V8's used heap plus the memory of array buffers (values of 100
 * bytes live outside V8's heap), so a store that keeps the caller's arrays
 * and one that copies them are charged alike: both keep the bytes alive.
 * Disk is what the files take after a clean close (allocated blocks, as
 * `du` counts them; the apparent size is in the JSON too: LMDB's map file
 * is sparse). Heap figures matter for the in-memory implementations, disk
 * figures for the file-based ones; the JSON keeps both for every one.
 *
 * @module
 */

import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Sizes } from './sizes.js';
import type { BenchSubject } from './subject.js';
import { gc, loadHistory } from './workloads.js';

/** The footprint of one implementation holding one shape's history. */
export interface Footprint {
  /** Versions stored (the history's entries). */
  readonly versions: number;
  /** Heap and array-buffer bytes retained per stored version. */
  readonly heapBytesPerVersion: number;
  /** Allocated bytes of the subject's files per stored version, after close. */
  readonly diskBytesPerVersion: number;
  /** Apparent size (sum of file lengths) per stored version, after close. */
  readonly apparentBytesPerVersion: number;
}

/** Measure `subject` (fresh and empty, its files in `dir`) holding the history of `sizes`. */
export async function measureFootprint(
  subject: BenchSubject,
  dir: string,
  sizes: Sizes,
  seed: number,
): Promise<Footprint> {
  const before = retainedBytes();
  await loadHistory(subject, { sizes, seed });
  const after = retainedBytes();
  const stored = await subject.storedBytes?.();
  await subject.close();
  const files = stored ?? (await directorySize(dir));
  const versions = sizes.historyEntries;
  return {
    versions,
    heapBytesPerVersion: (after - before) / versions,
    diskBytesPerVersion: files.allocated / versions,
    apparentBytesPerVersion: files.apparent / versions,
  };
}

/** Used heap plus array buffers, after collecting twice (weak references settle in the second). */
function retainedBytes(): number {
  gc();
  gc();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

/** Allocated and apparent bytes of every file under `dir`. */
async function directorySize(dir: string): Promise<{ allocated: number; apparent: number }> {
  let allocated = 0;
  let apparent = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const info = await stat(join(entry.parentPath, entry.name));
    allocated += info.blocks * 512;
    apparent += info.size;
  }
  return { allocated, apparent };
}
