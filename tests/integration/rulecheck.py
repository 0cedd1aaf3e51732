"""The one assertion every rule test makes: refused with this rule id, and nothing recorded."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from jiebang_es.errors import RuleViolationError
from jiebang_es.service import JiebangApp


def refused(
    app: JiebangApp, rule_id: str, command: Callable[..., Any], *args: Any, **kwargs: Any
) -> RuleViolationError:
    before = app.position()
    with pytest.raises(RuleViolationError) as caught:
        command(*args, **kwargs)
    assert caught.value.rule_id == rule_id, str(caught.value)
    assert app.position() == before, "a refused command recorded an event"
    return caught.value
