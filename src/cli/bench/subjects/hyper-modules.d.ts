/**
 * The little of Hypercore's and Hyperbee's APIs the Hyperbee peer uses:
 * neither package ships type declarations.
 */

declare module 'hypercore' {
  /** An append-only log, stored in a directory. */
  export default class Hypercore {
    constructor(storage: string);
    readonly length: number;
    ready(): Promise<void>;
    close(): Promise<void>;
  }
}

declare module 'hyperbee' {
  import type Hypercore from 'hypercore';

  /** One entry as Hyperbee returns it: `seq` is the log position of the write. */
  export interface HyperbeeEntry {
    readonly seq: number;
    readonly key: Buffer;
    readonly value: Buffer;
  }

  /** Key range of a read stream. */
  export interface HyperbeeRange {
    readonly gte?: Uint8Array;
    readonly lt?: Uint8Array;
  }

  /** A batch of writes, appended to the log as one by `flush`. */
  export interface HyperbeeBatch {
    put(key: Uint8Array, value: Uint8Array): Promise<void>;
    flush(): Promise<void>;
  }

  /** A B-tree over a Hypercore; a checkout is the tree as of an older log length. */
  export default class Hyperbee {
    constructor(
      core: Hypercore,
      options: { readonly keyEncoding: 'binary'; readonly valueEncoding: 'binary' },
    );
    readonly version: number;
    ready(): Promise<void>;
    batch(): HyperbeeBatch;
    get(key: Uint8Array): Promise<HyperbeeEntry | null>;
    createReadStream(range: HyperbeeRange): AsyncIterable<HyperbeeEntry>;
    checkout(version: number): Hyperbee;
    close(): Promise<void>;
  }
}
