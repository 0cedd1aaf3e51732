"""What every router shares: the documented problem answers and the ETag of a read."""

from __future__ import annotations

from typing import Any

from fastapi import Response

from api.problems import problem_responses

COMMAND_PROBLEMS: dict[int | str, dict[str, Any]] = problem_responses(
    400, 401, 403, 404, 409, 412, 413, 422, 503
)
READ_PROBLEMS: dict[int | str, dict[str, Any]] = problem_responses(401, 403, 404, 422, 503)
PUBLIC_PROBLEMS: dict[int | str, dict[str, Any]] = problem_responses(422, 503)
ETAG_HEADER = {"ETag": {"description": "the aggregate's version", "schema": {"type": "string"}}}


def tag(response: Response, version: int) -> None:
    """A read answers with the version it read as its ETag, for a later If-Match."""
    response.headers["ETag"] = f'"{version}"'
