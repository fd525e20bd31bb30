"""`loaxa demo`: the real bot against the built-in Telegram emulator, in a web page.

`server.serve()` starts everything and serves the page; `world.DemoWorld` is the bot, the
emulator and the personas; `seed.seed()` writes a few weeks of a commune into a fresh database.
"""
