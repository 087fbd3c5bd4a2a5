import assert from "node:assert/strict";
import { test } from "node:test";

import { Gateway, jidFor, messageContent, phoneFromJid } from "../src/gateway.js";
import { closeError, flush, makeHarness } from "./fakes.js";

function gatewayWith(harness) {
  return new Gateway({
    baileys: harness.baileys,
    rpc: harness.rpc,
    emit: harness.emit,
    setTimer: harness.setTimer,
    clearTimer: harness.clearTimer,
    random: () => 0.5, // no jitter
  });
}

async function connected(options = {}) {
  const h = makeHarness(options);
  const gw = gatewayWith(h);
  await gw.connect("7", { backoffInitialMs: 100, backoffMaxMs: 1000 });
  return { h, gw, sock: h.sockets[0] };
}

const states = (h) => h.events.filter((e) => e.event === "state").map((e) => e.state);

test("new creds are created and stored through Python before the socket opens", async () => {
  const { h, sock } = await connected();
  const sets = h.rpcCalls.filter((c) => c.op === "auth.set");
  assert.equal(sets.length, 1);
  assert.ok(h.store.get("creds/creds").includes("noiseKey"));
  assert.ok(sock.config.auth.creds.noiseKey);
  assert.deepEqual(states(h), ["connecting"]);
});

test("stored creds are reused, not recreated", async () => {
  const h0 = makeHarness();
  const gw0 = gatewayWith(h0);
  await gw0.connect("1");
  const creds = JSON.parse(h0.store.get("creds/creds"));
  const h = makeHarness({ storedCreds: null });
  h.store.set("creds/creds", JSON.stringify(creds));
  const gw = gatewayWith(h);
  await gw.connect("1");
  assert.equal(h.rpcCalls.filter((c) => c.op === "auth.set").length, 0);
});

test("qr and open become state events, with the phone of the number", async () => {
  const { h, sock } = await connected();
  sock.ev.emit("connection.update", { qr: "2@abc" });
  sock.ev.emit("connection.update", { connection: "open" });
  assert.deepEqual(h.events.slice(-2), [
    { event: "state", session: "7", state: "qr", qr: "2@abc" },
    { event: "state", session: "7", state: "open", phone: "+5511987654321" },
  ]);
});

for (const code of [408, 428, 500, 503, undefined]) {
  test(`close ${code} reconnects with growing backoff, ending the old socket first`, async () => {
    const { h, sock } = await connected();
    sock.ev.emit("connection.update", { connection: "close", lastDisconnect: { error: closeError(code) } });
    const first = h.events.at(-1);
    assert.equal(first.state, "close");
    assert.equal(first.reason, code === 500 || code === 503 ? "server_error" : "connection_lost");
    assert.equal(first.retry_in_ms, 100);
    assert.ok(sock.ended, "old socket ended");
    h.timers[0].fn();
    await flush();
    await flush();
    assert.equal(h.sockets.length, 2);
    h.sockets[1].ev.emit("connection.update", { connection: "close", lastDisconnect: { error: closeError(code) } });
    assert.equal(h.events.at(-1).retry_in_ms, 200);
  });
}

test("close 515 (restart required) reconnects at once", async () => {
  const { h, sock } = await connected();
  sock.ev.emit("connection.update", { connection: "close", lastDisconnect: { error: closeError(515) } });
  assert.equal(h.events.at(-1).reason, "restart_required");
  assert.equal(h.timers[0].ms, 0);
});

test("close 401 is a logout: no reconnect, and Python is told to wipe the keys", async () => {
  const { h, gw, sock } = await connected();
  sock.ev.emit("connection.update", { connection: "close", lastDisconnect: { error: closeError(401) } });
  assert.deepEqual(h.events.at(-1), { event: "state", session: "7", state: "logged_out", reason: "logged_out", code: 401 });
  assert.equal(h.timers.length, 0);
  assert.equal(gw.sessions.size, 0);
});

for (const [code, reason] of [[403, "forbidden"], [440, "replaced"]]) {
  test(`close ${code} (${reason}) never reconnects`, async () => {
    const { h, gw, sock } = await connected();
    sock.ev.emit("connection.update", { connection: "close", lastDisconnect: { error: closeError(code) } });
    assert.equal(h.events.at(-1).reason, reason);
    assert.equal(h.timers.length, 0);
    assert.equal(gw.sessions.size, 0);
  });
}

test("a reconnect ends the previous socket before making the next, and ignores its late events", async () => {
  const { h, gw, sock } = await connected();
  await gw.connect("7");
  assert.ok(sock.ended);
  assert.equal(h.sockets.length, 2);
  const before = h.events.length;
  sock.ev.emit("connection.update", { connection: "open" });
  assert.equal(h.events.length, before, "events of the old socket are ignored");
});

test("backoff resets after a successful open", async () => {
  const { h, sock } = await connected();
  sock.ev.emit("connection.update", { connection: "close", lastDisconnect: { error: closeError(428) } });
  h.timers[0].fn();
  await flush();
  await flush();
  h.sockets[1].ev.emit("connection.update", { connection: "open" });
  h.sockets[1].ev.emit("connection.update", { connection: "close", lastDisconnect: { error: closeError(428) } });
  assert.equal(h.events.at(-1).retry_in_ms, 100);
});

test("creds updates are saved through Python", async () => {
  const { h, sock } = await connected();
  sock.ev.emit("creds.update", { me: { id: "5511987654321:7@s.whatsapp.net" } });
  await flush();
  const saved = JSON.parse(h.store.get("creds/creds"));
  assert.equal(saved.me.id, "5511987654321:7@s.whatsapp.net");
});

test("a key-store set is one call to Python, holding every key type", async () => {
  const { h, sock } = await connected();
  const before = h.rpcCalls.length;
  await sock.config.auth.keys.set({
    "pre-key": { 1: { public: Buffer.from([1, 2]), private: Buffer.from([3]) }, 2: null },
    session: { "5511@s.whatsapp.net": Buffer.from([9]) },
  });
  const calls = h.rpcCalls.slice(before);
  assert.equal(calls.length, 1);
  assert.equal(calls[0].op, "auth.set");
  assert.deepEqual(Object.keys(calls[0].data), ["pre-key", "session"]);
  assert.equal(calls[0].data["pre-key"]["2"], null);
  const back = await sock.config.auth.keys.get("pre-key", ["1", "2"]);
  assert.deepEqual([...back["1"].public], [1, 2]);
  assert.equal(back["2"], undefined);
});

test("send uses the caller's message id, for text, image and document", async () => {
  const { gw, sock } = await connected();
  await gw.send("7", { message_id: "ZF1", to: "+5521998765432", kind: "text", text: "Olá 🎉" });
  await gw.send("7", { message_id: "ZF2", to: "+5521998765432", kind: "image", text: "legenda", media_base64: "aGk=", mimetype: "image/png" });
  await gw.send("7", { message_id: "ZF3", to: "123@g.us", kind: "document", media_url: "https://x/y.pdf", filename: "y.pdf" });
  assert.deepEqual(sock.sent.map((s) => [s.jid, s.options.messageId]), [
    ["5521998765432@s.whatsapp.net", "ZF1"],
    ["5521998765432@s.whatsapp.net", "ZF2"],
    ["123@g.us", "ZF3"],
  ]);
  assert.equal(sock.sent[0].content.text, "Olá 🎉");
  assert.equal(sock.sent[1].content.caption, "legenda");
  assert.ok(Buffer.isBuffer(sock.sent[1].content.image));
  assert.deepEqual(sock.sent[2].content.document, { url: "https://x/y.pdf" });
});

test("requests on a session that is not connected fail with not_connected", async () => {
  const h = makeHarness();
  const gw = gatewayWith(h);
  await assert.rejects(() => gw.send("9", { message_id: "x", to: "+55", kind: "text" }), { code: "not_connected" });
});

test("onWhatsApp, groups, invite and metadata are mapped to our shapes", async () => {
  const { gw } = await connected();
  const checks = await gw.onWhatsApp("7", ["+5511987654321", "+5500000000000"]);
  assert.deepEqual(checks.map((c) => c.exists), [true, false]);
  const phones = ["+5511900000001", "+5511900000002", "+5511900000003", "+5511900000004", "+5511900000005", "+5511900000006"];
  const added = await gw.groupAdd("7", "123@g.us", phones);
  assert.deepEqual(added.map((r) => r.status), ["added", "privacy_blocked", "recently_left", "already_member", "group_full", "failed"]);
  const created = await gw.groupCreate("7", "Jovens", phones.slice(0, 2));
  assert.equal(created.group.group_id, "123@g.us");
  assert.deepEqual(created.results.map((r) => r.status), ["added", "failed"]);
  assert.equal(await gw.groupInvite("7", "123@g.us"), "INVITE123");
  assert.deepEqual((await gw.groupMetadata("7", "123@g.us")).participants, ["+5511987654321"]);
});

test("receipts become status events; inbound texts become inbound events", async () => {
  const { h, sock } = await connected();
  sock.ev.emit("messages.update", [
    { key: { id: "ZF1", fromMe: true }, update: { status: 2 } },
    { key: { id: "ZF1", fromMe: true }, update: { status: 3 } },
    { key: { id: "ZF1", fromMe: true }, update: { status: 4 } },
    { key: { id: "OTHER", fromMe: false }, update: { status: 4 } },
  ]);
  sock.ev.emit("messages.upsert", {
    type: "notify",
    messages: [{ key: { id: "IN1", remoteJid: "5521998765432@s.whatsapp.net", fromMe: false }, message: { conversation: "SAIR" } }],
  });
  const receipts = h.events.filter((e) => e.event === "receipt").map((e) => e.status);
  assert.deepEqual(receipts, ["server_ack", "delivered", "read"]);
  assert.deepEqual(h.events.at(-1), { event: "inbound", session: "7", sender: "+5521998765432", text: "SAIR", message_id: "IN1" });
});

test("pairing codes are requested for the number and announced", async () => {
  const { h, gw, sock } = await connected();
  assert.equal(await gw.requestPairingCode("7", "+5511987654321"), "ABCD1234");
  assert.equal(sock.pairingPhone, "5511987654321");
  assert.equal(h.events.at(-1).event, "pairing_code");
});

test("logout closes with 401 and ends as logged_out", async () => {
  const { h, gw } = await connected();
  await gw.logout("7");
  assert.equal(h.events.at(-1).state, "logged_out");
});

test("disconnect ends the socket and forgets the session", async () => {
  const { gw, sock } = await connected();
  await gw.disconnect("7");
  assert.ok(sock.ended);
  assert.equal(gw.sessions.size, 0);
});

test("the dispatcher refuses unknown ops", async () => {
  const { gw } = await connected();
  await assert.rejects(() => gw.handle({ op: "nope" }), /unknown op/);
});

test("helpers: jids, phones and message content", () => {
  assert.equal(jidFor("+5511987654321"), "5511987654321@s.whatsapp.net");
  assert.equal(phoneFromJid("5511987654321:3@s.whatsapp.net"), "+5511987654321");
  assert.equal(phoneFromJid("123@g.us"), "+123");
  assert.throws(() => messageContent({ kind: "image" }), /without media/);
});
