"""The staff console: aiohttp routes on the bot's own HTTP server, server-rendered pages."""
