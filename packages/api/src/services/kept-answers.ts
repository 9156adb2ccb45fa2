// Recent answers of a polled read, kept per store with the version of the data they were read
// at. A poll reads the version first (one indexed row); while it is the kept answer's, that
// answer is handed out again, immutable, so its output validation and serialisation are done
// once (immutable-answers.ts). The version is read from the store on every call, so a write by
// any process is seen by the next call in this one: nothing here can be stale.
import { LRUCache } from "lru-cache";
import type { Db } from "../db";
import { markImmutable } from "../immutable-answers";

interface Kept<Answer> {
  version: string;
  answer: Answer;
}

export interface KeptAnswers<Answer extends object> {
  /**
   * The answer of `version` (just read from the store) for `key`: the one kept, or `read()`,
   * which answers with the version it read its data at (a write in between gives it a later
   * one, under which it is kept).
   */
  at(db: Db, key: string, version: string, read: () => Promise<Kept<Answer>>): Promise<Answer>;
}

/** `maxSize` bounds the sum of `sizeOf` over the answers kept for one store. */
export function keptAnswers<Answer extends object>(options: {
  maxSize: number;
  sizeOf: (answer: Answer) => number;
}): KeptAnswers<Answer> {
  const byStore = new WeakMap<Db, LRUCache<string, Kept<Answer>>>();
  const storeCache = (db: Db) => {
    let cache = byStore.get(db);
    if (!cache) {
      cache = new LRUCache<string, Kept<Answer>>({
        maxSize: options.maxSize,
        sizeCalculation: (kept) => options.sizeOf(kept.answer),
      });
      byStore.set(db, cache);
    }
    return cache;
  };
  return {
    async at(db, key, version, read) {
      const cache = storeCache(db);
      const kept = cache.get(key);
      if (kept?.version === version) return kept.answer;
      const fresh = await read();
      cache.set(key, { version: fresh.version, answer: markImmutable(fresh.answer) });
      return fresh.answer;
    },
  };
}
