"""`python -m teams_bot.manifest build|validate`: the app package commands on their own."""

from teams_bot.manifest.command import main

raise SystemExit(main())
