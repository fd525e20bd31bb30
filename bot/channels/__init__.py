"""Channel adapters: the only modules that speak python-telegram-bot or the Zalo API."""
