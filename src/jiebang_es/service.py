"""JiebangApp: the one application service. One eventsourcing Application holds every aggregate
type, so every event has one place in one global order (DESIGN.md §2)."""

from __future__ import annotations

from jiebang_es.commands_challenge import ChallengeCommands
from jiebang_es.commands_draw import DrawCommands
from jiebang_es.commands_privacy import PrivacyCommands
from jiebang_es.commands_project import ProjectCommands
from jiebang_es.commands_review import ReviewCommands


class JiebangApp(ChallengeCommands, ReviewCommands, ProjectCommands, DrawCommands, PrivacyCommands):
    """Every step of the 揭榜挂帅 procedure as a command; each records events or is refused."""

    # The store's table names derive from this name: changing it orphans the data.
    name = "jiebang"
