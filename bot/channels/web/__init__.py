"""The web chat for pupils: a page, an embeddable widget and a WebSocket (aiohttp)."""
