"""`teams-bot console`: a terminal chat with the real bot, in-process, for quick trials.

main (the REPL and CLI wiring), session (the bot app, activities out, replies in), connector (the
local Bot Connector endpoint the bot replies to), activities (Teams-shaped activities), render
(cards and markdown as text), terminal (lines in, text out).
"""
