"""The Bot Framework seam: the only package that imports botbuilder (besides storage.bot_state)."""
