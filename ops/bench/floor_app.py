"""The HTTP stack's floor, for ``api.py``: FastAPI under uvicorn as ``jiebang serve`` runs it
(httptools, uvloop, no access log), with nothing of the project behind it.

- ``POST /noop``: the demand's body validated by a pydantic model and echoed; an ``async``
  endpoint, so not even a thread hand-off. What any command over this stack costs at least.
- ``POST /insert``: the same body, then the raw baseline's very transaction (``BEGIN; LOCK
  TABLE bench_raw IN EXCLUSIVE MODE; INSERT …; COMMIT``) on a bounded psycopg pool, in the
  thread pool as a blocking endpoint runs: the baseline behind HTTP and nothing else.
- ``POST /insert-async``: the same on psycopg's asynchronous pool, on the event loop, no
  thread at all (the other way this stack can do it).

No authentication, no event, no seal, no read model: the project's commands do all of that on
top, so their rate over the raw baseline cannot exceed these floors' ratios.

    uvicorn --app-dir ops/bench floor_app:create --factory   (FLOOR_DATABASE_URL=…)
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool, ConnectionPool
from pydantic import BaseModel


class Enterprise(BaseModel):
    credit_code: str
    name: str
    unit_type: str
    in_district: bool


class Demand(BaseModel):
    source: str
    enterprise: Enterprise
    industry: str
    title: str
    description: str


def create() -> FastAPI:
    url = os.environ.get("FLOOR_DATABASE_URL")
    # Bounded like a `jiebang serve` worker's pool (5 + 3), so they compare.
    pool = (
        ConnectionPool(url, min_size=5, max_size=8, kwargs={"autocommit": True}, open=True)
        if url
        else None
    )
    pools: list[AsyncConnectionPool[AsyncConnection]] = []

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if url:  # an asynchronous pool is opened on the server's own loop
            pools.append(
                AsyncConnectionPool(url, min_size=5, max_size=8, kwargs={"autocommit": True})
            )
            await pools[0].open()
        yield
        for p in pools:
            await p.close()

    app = FastAPI(lifespan=lifespan)

    @app.post("/noop", status_code=201)
    async def noop(body: Demand) -> dict[str, str]:
        return {"title": body.title}

    @app.post("/insert", status_code=201)
    def insert(body: Demand) -> dict[str, int]:
        if pool is None:
            raise RuntimeError("FLOOR_DATABASE_URL is not set")
        data = body.model_dump_json().encode()
        with pool.connection() as conn, conn.transaction():
            conn.execute("LOCK TABLE bench_raw IN EXCLUSIVE MODE")
            row = conn.execute(
                "INSERT INTO bench_raw (data) VALUES (%s) RETURNING id", (data,)
            ).fetchone()
        return {"id": row[0] if row else 0}

    @app.post("/insert-async", status_code=201)
    async def insert_async(body: Demand) -> dict[str, int]:
        data = body.model_dump_json().encode()
        async with pools[0].connection() as conn, conn.transaction():
            await conn.execute("LOCK TABLE bench_raw IN EXCLUSIVE MODE")
            cursor = await conn.execute(
                "INSERT INTO bench_raw (data) VALUES (%s) RETURNING id", (data,)
            )
            row = await cursor.fetchone()
        return {"id": row[0] if row else 0}

    return app
