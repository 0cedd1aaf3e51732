"""An attacker with direct database access: raw SQL on the events, seals and checkpoints."""

from __future__ import annotations

import sqlite3
from datetime import date
from typing import Any
from urllib.parse import parse_qs, urlsplit

import psycopg

from jiebang_es.audit.checkpoints import signed_message
from jiebang_es.config import Settings
from jiebang_es.crypto.digests import hash_function
from jiebang_es.crypto.signing import generate_signing_key
from jiebang_es.crypto.store_mode import parse_mode
from jiebang_es.domain.values import DemandSource
from jiebang_es.sample import END_USER_EQUIPMENT
from jiebang_es.sealing import GENESIS, chain, event_digest
from tests.support import BUREAU_STAFF


def collect(app, n: int) -> None:
    for i in range(n):
        app.collect_demand(
            BUREAU_STAFF,
            source=DemandSource.PUBLIC_SOLICITATION,
            enterprise=END_USER_EQUIPMENT,
            industry="智能科技",
            title=f"需求 {i}",
            description="社会征集",
        )


def settings_for(store_url: str, tmp_path) -> Settings:
    return Settings(
        database_url=store_url,
        audit_key_file=tmp_path / "keys" / "checkpoint.key",
        audit_public_key_file=tmp_path / "keys" / "checkpoint.pub",
        audit_checkpoint_file=tmp_path / "checkpoints.jsonl",
    )


class Attacker:
    """Raw SQL on one store, the way someone with the database password would do it."""

    def __init__(self, store_url: str) -> None:
        self.postgres = store_url.startswith("postgresql")
        if self.postgres:
            parts = urlsplit(store_url)
            schema = parse_qs(parts.query)["schema"][0]
            self.conn: Any = psycopg.connect(store_url.split("?")[0], autocommit=True)
            self.conn.execute(f'SET search_path TO "{schema}"')
            self.events, self.pos = "jiebang_events", "notification_id"
        else:
            self.conn = sqlite3.connect(store_url[len("sqlite:///") :], isolation_level=None)
            self.events, self.pos = "stored_events", "rowid"
        # A careful attacker reseals and signs with the store's own algorithms.
        self.mode = parse_mode(self.sql("SELECT value FROM jiebang_store")[0][0])

    def close(self) -> None:
        self.conn.close()

    def sql(self, statement: str, *params: Any) -> list[Any]:
        statement = statement.replace("{events}", self.events).replace("{pos}", self.pos)
        if self.postgres:
            statement = statement.replace("?", "%s")
        cur = self.conn.execute(statement, params)
        return list(cur.fetchall()) if cur.description else []

    def event(self, position: int) -> tuple[Any, ...]:
        return self.sql(
            "SELECT originator_id, originator_version, topic, state FROM {events} WHERE {pos} = ?",
            position,
        )[0]

    def flip_bit(self, position: int) -> None:
        state = bytearray(self.event(position)[3])
        state[len(state) // 2] ^= 0x01
        self.sql("UPDATE {events} SET state = ? WHERE {pos} = ?", bytes(state), position)

    def set_topic(self, position: int, topic: str) -> None:
        self.sql("UPDATE {events} SET topic = ? WHERE {pos} = ?", topic, position)

    def delete_event(self, position: int, *, with_seal: bool = False) -> None:
        self.sql("DELETE FROM {events} WHERE {pos} = ?", position)
        if with_seal:
            self.sql("DELETE FROM jiebang_seals WHERE notification_id = ?", position)

    def insert_forged(self, like: int) -> int:
        """A copy of an event's bytes under a new version of its aggregate; returns its position."""
        originator_id, version, topic, state = self.event(like)
        self.sql(
            "INSERT INTO {events} (originator_id, originator_version, topic, state) "
            "VALUES (?, ?, ?, ?)",
            originator_id,
            version + 1000,
            topic,
            state,
        )
        return int(self.sql("SELECT MAX({pos}) FROM {events}")[0][0])

    def swap(self, a: int, b: int) -> None:
        self.sql("UPDATE {events} SET {pos} = -1 WHERE {pos} = ?", a)
        self.sql("UPDATE {events} SET {pos} = ? WHERE {pos} = ?", a, b)
        self.sql("UPDATE {events} SET {pos} = ? WHERE {pos} = -1", b)

    def reseal_from(self, position: int) -> None:
        """Recompute every seal from a position on, consistently, as a careful attacker would."""
        before = self.sql(
            "SELECT seal FROM jiebang_seals WHERE notification_id < ? "
            "ORDER BY notification_id DESC LIMIT 1",
            position,
        )
        seal = bytes(before[0][0]) if before else GENESIS
        rows = self.sql(
            "SELECT {pos}, originator_id, originator_version, topic, state FROM {events} "
            "WHERE {pos} >= ? ORDER BY {pos}",
            position,
        )
        h = hash_function(self.mode)
        for pos, originator_id, version, topic, state in rows:
            digest = event_digest(str(originator_id), version, topic, bytes(state), h)
            seal = chain(seal, digest, h)
            self.sql(
                "UPDATE jiebang_seals SET digest = ?, seal = ? WHERE notification_id = ?",
                digest,
                seal,
                pos,
            )

    def forge_checkpoint(self, position: int) -> None:
        key = generate_signing_key(self.mode)
        seal = bytes(
            self.sql("SELECT seal FROM jiebang_seals WHERE notification_id = ?", position)[0][0]
        )
        taken_at = date(2026, 11, 26).isoformat() + "T12:00:00+08:00"
        self.sql(
            "INSERT INTO jiebang_checkpoints VALUES (?, ?, ?, ?, ?)",
            position,
            seal,
            taken_at,
            key.public.key_id,
            key.sign(signed_message(position, seal, taken_at)),
        )
