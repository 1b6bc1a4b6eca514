"""The console simulator: plays every discovered platform in one terminal, no credentials.

It is not a platform of its own (it exposes no ``SPEC``): the composition root hands it the
names of the platforms it plays. Import it from ``bot.adapters.console.simulator`` (this package
stays empty so that discovering the platforms loads no app).
"""
