"""The console simulator: plays every discovered platform in one terminal, no credentials.

It is not a platform of its own (it exposes no ``SPEC``): the composition root hands it the
names of the platforms it plays.
"""

from bot.adapters.console.simulator import Console, ConsoleSender, ScriptError, Shown

__all__ = ["Console", "ConsoleSender", "ScriptError", "Shown"]
