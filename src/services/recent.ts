// A set of the last N distinct keys added: the cookies already counted or reported, so that a
// cookie the kernel announces twice is taken once, in bounded memory. The oldest key leaves when
// the set is full; every operation is O(1). (Evicting through `set.values().next()` is not: after
// many deletes V8's iterator walks every deleted slot at the front of the table until it is
// rebuilt, which made each eviction cost up to ~10^5 steps under churn.)
export class RecentSet<K> {
  readonly capacity: number;
  private readonly set = new Set<K>();
  private readonly ring: Array<K | undefined>;
  private next = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, not ${capacity}`);
    this.capacity = capacity;
    this.ring = new Array<K | undefined>(capacity).fill(undefined);
  }

  get size(): number {
    return this.set.size;
  }

  has(key: K): boolean {
    return this.set.has(key);
  }

  /** Adds `key` (a key already held keeps its place); when full, the oldest key leaves. */
  add(key: K): void {
    if (this.set.has(key)) return;
    const old = this.ring[this.next];
    if (old !== undefined) this.set.delete(old);
    this.ring[this.next] = key;
    this.set.add(key);
    this.next = this.next + 1 === this.capacity ? 0 : this.next + 1;
  }
}
