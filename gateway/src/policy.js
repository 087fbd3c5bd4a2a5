// What to do when a socket closes, by WhatsApp's status code (Baileys' DisconnectReason).
//  - 401 logged out: never reconnect; Python wipes the keys.
//  - 403 forbidden (banned/restricted) and 440 replaced: never reconnect by ourselves.
//  - 515 restart required (after pairing): reconnect at once.
//  - 408 / 428 (network), 500 / 503 (server) and unknown errors: reconnect with backoff.

export function decide(code) {
  switch (code) {
    case 401:
      return { action: "logged_out", reason: "logged_out" };
    case 403:
      return { action: "stop", reason: "forbidden" };
    case 440:
      return { action: "stop", reason: "replaced" };
    case 515:
      return { action: "reconnect_now", reason: "restart_required" };
    case 500:
    case 503:
      return { action: "backoff", reason: "server_error" };
    default:
      return { action: "backoff", reason: "connection_lost" };
  }
}

// Exponential backoff with ±20% jitter, capped. `attempt` starts at 0.
export function backoffMs(attempt, initialMs, maxMs, random = Math.random) {
  const base = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
  const jitter = base * 0.2 * (random() * 2 - 1);
  return Math.max(1, Math.round(Math.min(maxMs, base + jitter)));
}
