import assert from "node:assert/strict";
import { test } from "node:test";

import { SharedLru } from "../src/cache.js";
import { backoffMs, decide } from "../src/policy.js";

test("each disconnect reason maps to its action", () => {
  assert.deepEqual(
    [401, 403, 408, 428, 440, 500, 503, 515, undefined].map((c) => decide(c).action),
    ["logged_out", "stop", "backoff", "backoff", "stop", "backoff", "backoff", "reconnect_now", "backoff"],
  );
});

test("backoff doubles, is capped, and jitters within 20%", () => {
  const none = () => 0.5;
  assert.deepEqual([0, 1, 2, 3, 10].map((a) => backoffMs(a, 1000, 60000, none)), [1000, 2000, 4000, 8000, 60000]);
  assert.equal(backoffMs(0, 1000, 60000, () => 0), 800);
  assert.equal(backoffMs(0, 1000, 60000, () => 1), 1200);
  assert.ok(backoffMs(40, 1000, 60000, () => 1) <= 60000);
});

test("the shared cache is bounded and each session sees only its own keys", () => {
  const cache = new SharedLru(3);
  const a = cache.view("a");
  const b = cache.view("b");
  a.set("pre-key.1", 1);
  b.set("pre-key.1", 2);
  assert.equal(a.get("pre-key.1"), 1);
  assert.equal(b.get("pre-key.1"), 2);
  a.set("x", 3);
  a.set("y", 4);
  assert.equal(cache.map.size, 3);
  b.flushAll();
  assert.equal(b.get("pre-key.1"), undefined);
  assert.equal(a.get("y"), 4);
});
