// Entry point: `node src/main.js`. JSON lines in on stdin, out on stdout; nothing else is
// written to stdout. Started and supervised by the Zapflow worker.

import readline from "node:readline";

import * as baileysModule from "baileys";

import { Gateway } from "./gateway.js";

const pending = new Map();
let nextId = 0;

function send(object) {
  process.stdout.write(`${JSON.stringify(object)}\n`);
}

function rpc(op, params) {
  const id = `g${++nextId}`;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    send({ id, op, ...params });
  });
}

const baileys = {
  makeWASocket: baileysModule.makeWASocket ?? baileysModule.default,
  makeCacheableSignalKeyStore: baileysModule.makeCacheableSignalKeyStore,
  BufferJSON: baileysModule.BufferJSON,
  initAuthCreds: baileysModule.initAuthCreds,
  proto: baileysModule.proto,
  Browsers: baileysModule.Browsers,
};

const gateway = new Gateway({
  baileys,
  rpc,
  emit: send,
  cacheEntries: Number(process.env.ZAPFLOW_GATEWAY_CACHE_ENTRIES ?? 50000),
});

const lines = readline.createInterface({ input: process.stdin });
lines.on("line", async (line) => {
  let message;
  try {
    message = JSON.parse(line);
  } catch {
    send({ event: "log", level: "error", what: "bad_json_line" });
    return;
  }
  if (message.reply) {
    const waiter = pending.get(message.reply);
    pending.delete(message.reply);
    if (!waiter) return;
    if (message.ok) waiter.resolve(message.result);
    else waiter.reject(new Error(message.error ?? "rpc failed"));
    return;
  }
  try {
    const result = await gateway.handle(message);
    send({ reply: message.id, ok: true, result: result ?? null });
  } catch (err) {
    send({ reply: message.id, ok: false, error: String(err?.message ?? err).slice(0, 500), code: err?.code ?? err?.output?.statusCode ?? null });
  }
});
lines.on("close", () => process.exit(0)); // the worker went away: so do we

process.on("unhandledRejection", (err) => {
  send({ event: "log", level: "error", what: "unhandled_rejection", error: String(err?.message ?? err).slice(0, 300) });
});
send({ event: "ready", pid: process.pid });
