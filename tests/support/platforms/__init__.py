"""Platform folders for tests, found by ``bot.adapters.discover("tests.support.platforms")``."""
