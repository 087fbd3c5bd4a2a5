// The gateway: many WhatsApp sockets in one process, driven by JSON lines.
// It keeps no state of its own: auth goes through `rpc` to Python, events go out with `emit`.

import { makeRemoteAuthState } from "./auth.js";
import { SharedLru } from "./cache.js";
import { backoffMs, decide } from "./policy.js";

const SILENT = {
  level: "silent",
  child() {
    return SILENT;
  },
  trace() {},
  debug() {},
  info() {},
  warn() {},
  error() {},
  fatal() {},
};

const RECEIPT_STATUS = { 0: "error", 2: "server_ack", 3: "delivered", 4: "read", 5: "read" };
const ADD_RESULT = {
  200: "added",
  403: "privacy_blocked",
  408: "recently_left",
  409: "already_member",
  404: "not_on_whatsapp",
  500: "group_full",
};

export function phoneFromJid(jid) {
  if (!jid) return null;
  const user = jid.split("@")[0].split(":")[0];
  return /^\d+$/.test(user) ? `+${user}` : null;
}

export function jidFor(to) {
  if (to.includes("@")) return to;
  return `${to.replace(/^\+/, "")}@s.whatsapp.net`;
}

export function messageContent(m) {
  const media = m.media_base64 ? Buffer.from(m.media_base64, "base64") : m.media_url ? { url: m.media_url } : null;
  if (m.kind === "text") return { text: m.text ?? "" };
  if (!media) throw new Error("media message without media");
  if (m.kind === "image") return { image: media, caption: m.text ?? undefined, mimetype: m.mimetype ?? undefined };
  if (m.kind === "document") {
    return {
      document: media,
      caption: m.text ?? undefined,
      mimetype: m.mimetype ?? "application/octet-stream",
      fileName: m.filename ?? "documento",
    };
  }
  throw new Error(`unknown message kind ${m.kind}`);
}

export class Gateway {
  // baileys: { makeWASocket, makeCacheableSignalKeyStore, BufferJSON, initAuthCreds, proto, Browsers }
  constructor({ baileys, rpc, emit, cacheEntries = 50000, setTimer = setTimeout, clearTimer = clearTimeout, random = Math.random }) {
    this.baileys = baileys;
    this.rpc = rpc;
    this.emit = emit;
    this.cache = new SharedLru(cacheEntries);
    this.sessions = new Map();
    this.setTimer = setTimer;
    this.clearTimer = clearTimer;
    this.random = random;
  }

  stats() {
    if (typeof globalThis.gc === "function") globalThis.gc(); // benchmarks run with --expose-gc
    return { sessions: this.sessions.size, cacheEntries: this.cache.map.size, memory: process.memoryUsage() };
  }

  // --- connection lifecycle ---------------------------------------------------------------

  async connect(sessionId, options = {}) {
    const existing = this.sessions.get(sessionId);
    const entry = existing ?? { id: sessionId, attempt: 0, generation: 0, sock: null, timer: null, options };
    entry.options = { backoffInitialMs: 1000, backoffMaxMs: 60000, ...options };
    entry.stopped = false;
    this.sessions.set(sessionId, entry);
    await this._open(entry);
  }

  async _open(entry) {
    this._endSocket(entry); // always end the old socket before making a new one
    entry.generation += 1;
    const generation = entry.generation;
    const { makeWASocket, makeCacheableSignalKeyStore, BufferJSON, initAuthCreds, proto, Browsers } = this.baileys;
    const auth = makeRemoteAuthState({ sessionId: entry.id, rpc: this.rpc, BufferJSON, initAuthCreds, proto });
    const { creds, created } = await auth.loadCreds();
    if (created) await auth.saveCreds(creds); // new creds are stored (encrypted) at once
    if (entry.stopped || generation !== entry.generation) return;
    this.emit({ event: "state", session: entry.id, state: "connecting" });
    const sock = makeWASocket({
      auth: { creds, keys: makeCacheableSignalKeyStore(auth.keys, SILENT, this.cache.view(entry.id)) },
      logger: SILENT,
      printQRInTerminal: false,
      browser: Browsers ? Browsers.ubuntu("Zapflow") : ["Zapflow", "Chrome", "1.0"],
      markOnlineOnConnect: false,
      syncFullHistory: false,
    });
    entry.sock = sock;
    entry.creds = creds;
    const current = () => entry.generation === generation && !entry.stopped;
    sock.ev.on("creds.update", (update) => {
      if (!current()) return;
      Object.assign(creds, update);
      auth.saveCreds(creds).catch((err) => this._warn(entry.id, "creds_save_failed", err));
    });
    sock.ev.on("connection.update", (update) => {
      if (current()) this._onConnection(entry, sock, update);
    });
    sock.ev.on("messages.update", (updates) => {
      if (current()) this._onMessageUpdates(entry, updates);
    });
    sock.ev.on("messages.upsert", (upsert) => {
      if (current()) this._onUpsert(entry, upsert);
    });
  }

  _onConnection(entry, sock, update) {
    if (update.qr) this.emit({ event: "state", session: entry.id, state: "qr", qr: update.qr });
    if (update.connection === "open") {
      entry.attempt = 0;
      this.emit({ event: "state", session: entry.id, state: "open", phone: phoneFromJid(sock.user?.id) });
    }
    if (update.connection === "close") {
      const error = update.lastDisconnect?.error;
      const code = error?.output?.statusCode;
      this._onClose(entry, code, error?.message ?? "closed");
    }
  }

  _onClose(entry, code, message) {
    const decision = decide(code);
    this._endSocket(entry);
    if (decision.action === "logged_out") {
      entry.stopped = true;
      this.sessions.delete(entry.id);
      this.cache.view(entry.id).flushAll();
      this.emit({ event: "state", session: entry.id, state: "logged_out", reason: "logged_out", code: 401 });
      return;
    }
    if (decision.action === "stop") {
      entry.stopped = true;
      this.sessions.delete(entry.id);
      this.emit({ event: "state", session: entry.id, state: "close", reason: decision.reason, code });
      return;
    }
    const delay = decision.action === "reconnect_now" ? 0 : backoffMs(entry.attempt, entry.options.backoffInitialMs, entry.options.backoffMaxMs, this.random);
    entry.attempt += decision.action === "reconnect_now" ? 0 : 1;
    this.emit({
      event: "state", session: entry.id, state: "close", reason: decision.reason, code: code ?? null,
      message: String(message).slice(0, 200), retry_in_ms: delay, attempt: entry.attempt,
    });
    entry.timer = this.setTimer(() => {
      entry.timer = null;
      if (!entry.stopped) this._open(entry).catch((err) => this._retryAfterError(entry, err));
    }, delay);
  }

  _retryAfterError(entry, err) {
    // Opening failed before a socket existed (auth RPC failed, say): same backoff as a close.
    this._onClose(entry, undefined, err?.message ?? String(err));
  }

  _endSocket(entry) {
    if (entry.timer) {
      this.clearTimer(entry.timer);
      entry.timer = null;
    }
    const sock = entry.sock;
    entry.sock = null;
    if (!sock) return;
    entry.generation += 1; // events of the old socket are ignored from now on
    try {
      sock.ev.removeAllListeners?.();
      sock.end(undefined);
    } catch {
      // already closed
    }
  }

  async disconnect(sessionId) {
    const entry = this.sessions.get(sessionId);
    if (!entry) return;
    entry.stopped = true;
    this._endSocket(entry);
    this.sessions.delete(sessionId);
    this.cache.view(sessionId).flushAll();
  }

  async logout(sessionId) {
    const entry = this._require(sessionId);
    await entry.sock.logout(); // WhatsApp then closes with 401, handled above
  }

  // --- events ------------------------------------------------------------------------------

  _onMessageUpdates(entry, updates) {
    for (const { key, update } of updates) {
      if (!key?.fromMe || update?.status === undefined) continue;
      const status = RECEIPT_STATUS[update.status];
      if (status) this.emit({ event: "receipt", session: entry.id, message_id: key.id, status });
    }
  }

  _onUpsert(entry, { messages, type }) {
    if (type !== "notify") return;
    for (const message of messages) {
      if (message.key?.fromMe) continue;
      const text = message.message?.conversation ?? message.message?.extendedTextMessage?.text;
      const sender = phoneFromJid(message.key?.remoteJid);
      if (text && sender) {
        this.emit({ event: "inbound", session: entry.id, sender, text, message_id: message.key.id });
      }
    }
  }

  // --- requests ----------------------------------------------------------------------------

  _require(sessionId) {
    const entry = this.sessions.get(sessionId);
    if (!entry?.sock) {
      const error = new Error("session not connected");
      error.code = "not_connected";
      throw error;
    }
    return entry;
  }

  async requestPairingCode(sessionId, phone) {
    const entry = this._require(sessionId);
    const code = await entry.sock.requestPairingCode(phone.replace(/^\+/, ""));
    this.emit({ event: "pairing_code", session: sessionId, code, phone });
    return code;
  }

  async send(sessionId, message) {
    const entry = this._require(sessionId);
    const content = messageContent(message);
    const sent = await entry.sock.sendMessage(jidFor(message.to), content, { messageId: message.message_id });
    return { message_id: sent?.key?.id ?? message.message_id };
  }

  async presence(sessionId, to, presence) {
    await this._require(sessionId).sock.sendPresenceUpdate(presence, jidFor(to));
  }

  async onWhatsApp(sessionId, phones) {
    const entry = this._require(sessionId);
    const found = (await entry.sock.onWhatsApp(...phones.map(jidFor))) ?? [];
    const byPhone = new Map(found.map((r) => [phoneFromJid(r.jid), r]));
    return phones.map((p) => {
      const r = byPhone.get(p.startsWith("+") ? p : `+${p}`);
      return { phone: p, exists: Boolean(r?.exists), jid: r?.exists ? r.jid : null };
    });
  }

  async groupCreate(sessionId, subject, phones) {
    const entry = this._require(sessionId);
    const meta = await entry.sock.groupCreate(subject, phones.map(jidFor));
    const present = new Set((meta.participants ?? []).map((p) => phoneFromJid(p.id)));
    const results = phones.map((p) => ({ phone: p, status: present.has(p) ? "added" : "failed", code: null }));
    return { group: this._group(meta), results };
  }

  async groupAdd(sessionId, groupId, phones) {
    const entry = this._require(sessionId);
    const results = await entry.sock.groupParticipantsUpdate(groupId, phones.map(jidFor), "add");
    return phones.map((phone, index) => {
      const result = results.find((r) => phoneFromJid(r.jid) === phone) ?? results[index];
      const code = Number(result?.status);
      return { phone, status: ADD_RESULT[code] ?? "failed", code: Number.isFinite(code) ? code : null };
    });
  }

  async groupInvite(sessionId, groupId) {
    return this._require(sessionId).sock.groupInviteCode(groupId);
  }

  async groupMetadata(sessionId, groupId) {
    return this._group(await this._require(sessionId).sock.groupMetadata(groupId));
  }

  _group(meta) {
    return {
      group_id: meta.id,
      subject: meta.subject,
      owner: phoneFromJid(meta.owner),
      participants: (meta.participants ?? []).map((p) => phoneFromJid(p.id)).filter(Boolean),
    };
  }

  _warn(sessionId, what, err) {
    this.emit({ event: "log", level: "warning", session: sessionId, what, error: String(err?.message ?? err).slice(0, 200) });
  }

  // --- the JSON-lines command dispatcher -----------------------------------------------------

  async handle(command) {
    const s = command.session;
    switch (command.op) {
      case "connect":
        return this.connect(s, command.options ?? {});
      case "disconnect":
        return this.disconnect(s);
      case "logout":
        return this.logout(s);
      case "pairing_code":
        return this.requestPairingCode(s, command.phone);
      case "send":
        return this.send(s, command.message);
      case "presence":
        return this.presence(s, command.to, command.presence);
      case "on_whatsapp":
        return this.onWhatsApp(s, command.phones);
      case "group_create":
        return this.groupCreate(s, command.subject, command.phones);
      case "group_add":
        return this.groupAdd(s, command.group, command.phones);
      case "group_invite":
        return this.groupInvite(s, command.group);
      case "group_metadata":
        return this.groupMetadata(s, command.group);
      case "stats":
        return this.stats();
      default:
        throw new Error(`unknown op ${command.op}`);
    }
  }
}
