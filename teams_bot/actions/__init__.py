"""Card actions: signed, single-use, server-side records behind every card button."""
