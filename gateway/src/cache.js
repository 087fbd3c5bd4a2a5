// One bounded key cache shared by every socket of the gateway, so memory does not grow with
// the number of sessions. Each session sees its own namespace of it.

export class SharedLru {
  constructor(maxEntries = 50000) {
    this.maxEntries = maxEntries;
    this.map = new Map();
  }

  get(key) {
    if (!this.map.has(key)) return undefined;
    const value = this.map.get(key);
    this.map.delete(key); // refresh recency
    this.map.set(key, value);
    return value;
  }

  set(key, value) {
    this.map.delete(key);
    this.map.set(key, value);
    while (this.map.size > this.maxEntries) {
      this.map.delete(this.map.keys().next().value);
    }
  }

  del(key) {
    this.map.delete(key);
  }

  dropPrefix(prefix) {
    for (const key of [...this.map.keys()]) {
      if (key.startsWith(prefix)) this.map.delete(key);
    }
  }

  // The CacheStore interface Baileys' makeCacheableSignalKeyStore expects, for one session.
  view(sessionId) {
    const prefix = `${sessionId}:`;
    return {
      get: (key) => this.get(prefix + key),
      set: (key, value) => this.set(prefix + key, value),
      del: (key) => this.del(prefix + key),
      flushAll: () => this.dropPrefix(prefix),
    };
  }
}
