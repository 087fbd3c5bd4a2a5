"""The Baileys engine: a Node sidecar (`gateway/`) hosting many sockets, spoken to in JSON lines.

Filled in below by the gateway client; see docs/WHATSAPP.md.
"""
