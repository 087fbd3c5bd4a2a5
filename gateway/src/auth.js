// Baileys' auth state, kept in Python (PostgreSQL, encrypted), never on this process's disk.
// Values cross the pipe as BufferJSON strings: opaque to Python.

export function makeRemoteAuthState({ sessionId, rpc, BufferJSON, initAuthCreds, proto }) {
  const encode = (value) => JSON.stringify(value, BufferJSON.replacer);
  const decode = (text) => JSON.parse(text, BufferJSON.reviver);

  async function loadCreds() {
    const found = await rpc("auth.get", { session: sessionId, type: "creds", ids: ["creds"] });
    if (found.creds) return { creds: decode(found.creds), created: false };
    return { creds: initAuthCreds(), created: true };
  }

  const keys = {
    async get(type, ids) {
      const found = await rpc("auth.get", { session: sessionId, type, ids });
      const data = {};
      for (const id of ids) {
        const text = found[id];
        if (text === null || text === undefined) continue;
        let value = decode(text);
        if (type === "app-state-sync-key" && value) {
          value = proto.Message.AppStateSyncKeyData.fromObject(value);
        }
        data[id] = value;
      }
      return data;
    },
    // One call, one transaction on the Python side: every key lands, or none does.
    async set(data) {
      const payload = {};
      for (const type of Object.keys(data)) {
        payload[type] = {};
        for (const id of Object.keys(data[type])) {
          const value = data[type][id];
          payload[type][id] = value === null || value === undefined ? null : encode(value);
        }
      }
      await rpc("auth.set", { session: sessionId, data: payload });
    },
    async clear() {
      await rpc("auth.clear", { session: sessionId });
    },
  };

  return {
    loadCreds,
    keys,
    saveCreds: (creds) => rpc("auth.set", { session: sessionId, data: { creds: { creds: encode(creds) } } }),
  };
}
