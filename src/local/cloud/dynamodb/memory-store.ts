import { createRequire } from 'node:module';

/**
 * The store under dynalite, made cheaper to read; what dynalite stores, reads and answers is the same.
 *
 * dynalite keeps its tables in a memory-level database with JSON values. By default memory-level stores them
 * as bytes, so every write encodes JSON to a string and then to bytes, and every read decodes both ways;
 * here they are stored as strings (`storeEncoding: 'utf8'`, the keys too: dynalite's keys are ASCII, so
 * their order is the same). And dynalite reads a Scan or a Query one item per `iterator.next()`, a promise
 * and a trip through the iterator's machinery per item: here its iterators read ahead in batches from the
 * same snapshot (`nextv`) and hand the items over one by one. A Scan reads the whole table, and the wave's
 * bookkeeping scans it often (every outcome wakes the wave, which lists the outcomes twice).
 *
 * Must run before dynalite is first loaded (it takes `MemoryLevel` from the module when it loads): the
 * DynamoDB stand-in imports this module first.
 */
interface ValueIterator {
  next(): Promise<unknown>;
  nextv(size: number): Promise<unknown[]>;
}
type MemoryLevelClass = new (options?: Record<string, unknown>) => { values(options?: unknown): ValueIterator };

const READ_AHEAD = 128;
const fromDynalite = createRequire(createRequire(import.meta.url).resolve('dynalite/package.json'));
const memoryLevel = fromDynalite('memory-level') as { MemoryLevel: MemoryLevelClass; readAhead?: true };
if (!memoryLevel.readAhead) {
  const Base = memoryLevel.MemoryLevel;
  memoryLevel.MemoryLevel = class extends Base {
    constructor(options?: Record<string, unknown>) {
      super({ ...options, storeEncoding: 'utf8' });
    }

    override values(options?: unknown): ValueIterator {
      const it = super.values(options);
      let batch: unknown[] = [];
      let at = 0;
      let ended = false;
      let filling: Promise<void> | undefined;
      const next = (): Promise<unknown> => {
        if (at < batch.length) return Promise.resolve(batch[at++]);
        if (ended) return Promise.resolve(undefined);
        filling ??= it.nextv(READ_AHEAD).then((values) => {
          filling = undefined;
          batch = values;
          at = 0;
          if (values.length === 0) ended = true;
        });
        return filling.then(next);
      };
      it.next = next;
      return it;
    }
  };
  memoryLevel.readAhead = true;
}
