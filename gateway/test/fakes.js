// A fake Baileys: sockets that record what they are asked and emit what the test says.

import { EventEmitter } from "node:events";

import { BufferJSON, initAuthCreds, proto } from "baileys";

export class FakeSocket {
  constructor(config) {
    this.config = config;
    this.ev = new EventEmitter();
    this.ended = false;
    this.sent = [];
    this.user = { id: "5511987654321:7@s.whatsapp.net" };
  }
  end() {
    this.ended = true;
  }
  async logout() {
    this.ev.emit("connection.update", { connection: "close", lastDisconnect: { error: closeError(401) } });
  }
  async sendMessage(jid, content, options) {
    this.sent.push({ jid, content, options });
    return { key: { id: options.messageId, remoteJid: jid, fromMe: true } };
  }
  async sendPresenceUpdate(presence, jid) {
    this.presence = { presence, jid };
  }
  async onWhatsApp(...jids) {
    return jids.filter((j) => !j.startsWith("5500")).map((jid) => ({ jid, exists: true }));
  }
  async requestPairingCode(phone) {
    this.pairingPhone = phone;
    return "ABCD1234";
  }
  async groupCreate(subject, jids) {
    return { id: "123@g.us", subject, owner: this.user.id, participants: jids.slice(0, 1).map((id) => ({ id })) };
  }
  async groupParticipantsUpdate(group, jids) {
    const codes = ["200", "403", "408", "409", "500", "999"];
    return jids.map((jid, i) => ({ jid, status: codes[i % codes.length] }));
  }
  async groupInviteCode() {
    return "INVITE123";
  }
  async groupMetadata(id) {
    return { id, subject: "Grupo", owner: this.user.id, participants: [{ id: this.user.id }] };
  }
}

export function closeError(statusCode) {
  const error = new Error(`closed ${statusCode}`);
  error.output = { statusCode };
  return error;
}

export function makeHarness({ storedCreds = null } = {}) {
  const sockets = [];
  const events = [];
  const rpcCalls = [];
  const timers = [];
  const store = new Map();
  if (storedCreds) store.set("creds/creds", JSON.stringify(storedCreds, BufferJSON.replacer));
  const rpc = async (op, params) => {
    rpcCalls.push({ op, ...params });
    if (op === "auth.get") {
      return Object.fromEntries(params.ids.map((id) => [id, store.get(`${params.type}/${id}`) ?? null]));
    }
    if (op === "auth.set") {
      for (const [type, values] of Object.entries(params.data)) {
        for (const [id, value] of Object.entries(values)) {
          if (value === null) store.delete(`${type}/${id}`);
          else store.set(`${type}/${id}`, value);
        }
      }
    }
    return null;
  };
  const baileys = {
    makeWASocket: (config) => {
      const sock = new FakeSocket(config);
      sockets.push(sock);
      return sock;
    },
    makeCacheableSignalKeyStore: (keys) => keys,
    BufferJSON,
    initAuthCreds,
    proto,
    Browsers: null,
  };
  const setTimer = (fn, ms) => {
    const timer = { fn, ms, cleared: false };
    timers.push(timer);
    return timer;
  };
  const clearTimer = (timer) => {
    timer.cleared = true;
  };
  return { baileys, rpc, events, rpcCalls, sockets, timers, store, setTimer, clearTimer, emit: (e) => events.push(e) };
}

export const flush = () => new Promise((resolve) => setImmediate(resolve));
