"""The build store: SQLite in WAL mode, shared by every brigtui process of a project."""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

DATABASE_FILE = "brigtui.db"

# Each entry moves the schema one version up; never edit a released entry, append a new one.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE builds (
        id TEXT PRIMARY KEY,
        project TEXT NOT NULL,
        script TEXT NOT NULL,
        event TEXT NOT NULL,
        payload TEXT,
        status TEXT NOT NULL,
        trigger TEXT NOT NULL DEFAULT 'manual',
        executor TEXT NOT NULL,
        created_at TEXT NOT NULL,
        started_at TEXT,
        finished_at TEXT,
        source_hash TEXT,
        error TEXT,
        error_line INTEGER,
        log_path TEXT,
        share_path TEXT,
        share_state TEXT NOT NULL DEFAULT 'none',
        share_expires_at TEXT,
        owner_host TEXT,
        owner_pid INTEGER,
        owner_started REAL,
        rerun_of TEXT,
        resumed INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX builds_created ON builds(created_at);
    CREATE INDEX builds_status ON builds(status);
    CREATE TABLE jobs (
        build_id TEXT NOT NULL REFERENCES builds(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        seq INTEGER NOT NULL,
        status TEXT NOT NULL,
        image TEXT NOT NULL,
        spec TEXT NOT NULL,
        uses_share INTEGER NOT NULL DEFAULT 0,
        exit_code INTEGER,
        created_at TEXT NOT NULL,
        started_at TEXT,
        finished_at TEXT,
        log_path TEXT,
        output_path TEXT,
        output_size INTEGER,
        error TEXT,
        input_hash TEXT,
        reused_from TEXT,
        PRIMARY KEY (build_id, name)
    );
    CREATE TABLE handovers (
        build_id TEXT NOT NULL REFERENCES builds(id) ON DELETE CASCADE,
        source_build TEXT NOT NULL,
        source_job TEXT NOT NULL,
        target_job TEXT NOT NULL,
        how TEXT NOT NULL,
        detail TEXT,
        bytes INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX handovers_build ON handovers(build_id);
    CREATE TABLE snapshots (
        hash TEXT PRIMARY KEY,
        manifest TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    """,
    """
    ALTER TABLE jobs ADD COLUMN output_digest TEXT;
    ALTER TABLE builds ADD COLUMN source_dir TEXT;
    CREATE INDEX builds_script ON builds(script, created_at);
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)


@dataclass
class JobRecord:
    build_id: str
    name: str
    seq: int
    status: str
    image: str
    spec: dict[str, Any]
    uses_share: bool
    exit_code: int | None
    created_at: str
    started_at: str | None
    finished_at: str | None
    log_path: str | None
    output_path: str | None
    output_size: int | None
    error: str | None
    input_hash: str | None = None
    reused_from: str | None = None
    output_digest: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "image": self.image,
            "exit_code": self.exit_code,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "output_size": self.output_size,
            "error": self.error,
            "reused_from": self.reused_from,
        }


@dataclass
class HandoverRecord:
    build_id: str
    source_build: str
    source_job: str
    target_job: str
    how: str
    detail: str | None
    bytes: int


@dataclass
class BuildRecord:
    id: str
    project: str
    script: str
    event: str
    payload: str | None
    status: str
    trigger: str
    executor: str
    created_at: str
    started_at: str | None
    finished_at: str | None
    source_hash: str | None
    error: str | None
    error_line: int | None
    log_path: str | None
    share_path: str | None
    share_state: str
    share_expires_at: str | None
    owner_host: str | None
    owner_pid: int | None
    owner_started: float | None
    rerun_of: str | None
    resumed: int
    source_dir: str | None = None
    jobs: list[JobRecord] = field(default_factory=list)
    handovers: list[HandoverRecord] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "project": self.project,
            "script": self.script,
            "event": self.event,
            "payload": json.loads(self.payload) if self.payload else None,
            "status": self.status,
            "trigger": self.trigger,
            "executor": self.executor,
            "created_at": self.created_at,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "source_hash": self.source_hash,
            "error": self.error,
            "share": self.share_state,
            "share_expires_at": self.share_expires_at,
            "rerun_of": self.rerun_of,
            "resumed": bool(self.resumed),
            "jobs": [job.as_json() for job in self.jobs],
            "handovers": [
                {
                    "source_build": h.source_build,
                    "source_job": h.source_job,
                    "target_job": h.target_job,
                    "how": h.how,
                    "bytes": h.bytes,
                }
                for h in self.handovers
            ],
        }


class Store:
    """Build and job records in one SQLite file; safe across threads and processes."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        state_dir.mkdir(parents=True, exist_ok=True)
        self.path = state_dir / DATABASE_FILE
        self._lock = threading.RLock()
        self._connection = sqlite3.connect(
            self.path, timeout=30.0, isolation_level=None, check_same_thread=False
        )
        self._connection.row_factory = sqlite3.Row
        self._connection.execute("PRAGMA journal_mode=WAL")
        self._connection.execute("PRAGMA synchronous=NORMAL")
        self._connection.execute("PRAGMA foreign_keys=ON")
        self._migrate()

    def close(self) -> None:
        with self._lock:
            self._connection.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._connection.execute("BEGIN IMMEDIATE")
            try:
                yield self._connection
            except BaseException:
                self._connection.execute("ROLLBACK")
                raise
            self._connection.execute("COMMIT")

    def _migrate(self) -> None:
        with self.transaction() as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise RuntimeError(
                    f"{self.path} has schema version {version}, newer than this brigtui "
                    f"understands ({SCHEMA_VERSION}); upgrade brigtui"
                )
            for number in range(version, SCHEMA_VERSION):
                logger.info("Migrating %s to schema version %d.", self.path, number + 1)
                for statement in MIGRATIONS[number].split(";"):
                    if statement.strip():
                        db.execute(statement)
            db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    # Builds

    def insert_build(self, **fields: Any) -> None:
        names = ", ".join(fields)
        marks = ", ".join("?" for _ in fields)
        with self.transaction() as db:
            db.execute(f"INSERT INTO builds ({names}) VALUES ({marks})", list(fields.values()))

    def update_build(self, build_id: str, **fields: Any) -> None:
        assignments = ", ".join(f"{name} = ?" for name in fields)
        with self.transaction() as db:
            db.execute(
                f"UPDATE builds SET {assignments} WHERE id = ?", [*fields.values(), build_id]
            )

    def get_build(self, build_id: str, with_jobs: bool = True) -> BuildRecord | None:
        with self._lock:
            row = self._connection.execute(
                "SELECT * FROM builds WHERE id = ?", (build_id,)
            ).fetchone()
            if row is None:
                return None
            build = BuildRecord(**dict(row))
            if with_jobs:
                build.jobs = self.list_jobs(build_id)
                build.handovers = self.list_handovers(build_id)
            return build

    def find_build(self, reference: str, folder: Path | None = None) -> BuildRecord | None:
        """Return the build with this id, a unique prefix or suffix of it, or `last`.

        `last` is the newest build of a script in `folder` when one is given, because
        several pipelines folders may share one state folder.
        """
        with self._lock:
            if reference == "last":
                where, params = _folder_clause(folder)
                row = self._connection.execute(
                    f"SELECT id FROM builds {where} ORDER BY created_at DESC, id DESC LIMIT 1",
                    params,
                ).fetchone()
                return self.get_build(row["id"]) if row else None
            exact = self.get_build(reference)
            if exact is not None:
                return exact
            rows = self._connection.execute(
                "SELECT id FROM builds WHERE id LIKE ? ESCAPE '\\' LIMIT 2",
                (_like_prefix(reference),),
            ).fetchall()
            if not rows and len(reference) >= 4:
                # The UI shows the random suffix of an id (`3f9a`): accept a unique one.
                rows = self._connection.execute(
                    "SELECT id FROM builds WHERE id LIKE ? ESCAPE '\\' LIMIT 2",
                    ("%" + _like_prefix(reference)[:-1],),
                ).fetchall()
            if len(rows) == 1:
                return self.get_build(rows[0]["id"])
            return None

    def list_builds(
        self,
        *,
        status: str | None = None,
        script: str | None = None,
        limit: int | None = None,
        with_jobs: bool = False,
        folder: Path | None = None,
    ) -> list[BuildRecord]:
        """List builds newest first; `folder` keeps those of scripts inside that folder."""
        query = "SELECT * FROM builds"
        clauses, params = [], []
        if folder is not None:
            clauses.append("script LIKE ? ESCAPE '\\'")
            params.append(_like_prefix(f"{folder.resolve()}/"))
        if status is not None:
            clauses.append("status = ?")
            params.append(status)
        if script is not None:
            clauses.append("script = ?")
            params.append(script)
        if clauses:
            query += " WHERE " + " AND ".join(clauses)
        query += " ORDER BY created_at DESC, id DESC"
        if limit is not None:
            query += f" LIMIT {int(limit)}"
        with self._lock:
            builds = [BuildRecord(**dict(row)) for row in self._connection.execute(query, params)]
            if with_jobs:
                for build in builds:
                    build.jobs = self.list_jobs(build.id)
            return builds

    def delete_build(self, build_id: str) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM builds WHERE id = ?", (build_id,))

    # Jobs

    def insert_job(self, **fields: Any) -> None:
        fields["spec"] = json.dumps(fields["spec"], sort_keys=True)
        names = ", ".join(fields)
        marks = ", ".join("?" for _ in fields)
        with self.transaction() as db:
            db.execute(f"INSERT INTO jobs ({names}) VALUES ({marks})", list(fields.values()))

    def update_job(self, build_id: str, name: str, **fields: Any) -> None:
        if "spec" in fields:
            fields["spec"] = json.dumps(fields["spec"], sort_keys=True)
        assignments = ", ".join(f"{key} = ?" for key in fields)
        with self.transaction() as db:
            db.execute(
                f"UPDATE jobs SET {assignments} WHERE build_id = ? AND name = ?",
                [*fields.values(), build_id, name],
            )

    def list_jobs(self, build_id: str) -> list[JobRecord]:
        with self._lock:
            rows = self._connection.execute(
                "SELECT * FROM jobs WHERE build_id = ? ORDER BY seq", (build_id,)
            ).fetchall()
        jobs = []
        for row in rows:
            data = dict(row)
            data["spec"] = json.loads(data["spec"])
            data["uses_share"] = bool(data["uses_share"])
            jobs.append(JobRecord(**data))
        return jobs

    def get_job(self, build_id: str, name: str) -> JobRecord | None:
        for job in self.list_jobs(build_id):
            if job.name == name:
                return job
        return None

    # Hand-overs

    def insert_handover(self, record: HandoverRecord) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO handovers (build_id, source_build, source_job, target_job, how, "
                "detail, bytes) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    record.build_id,
                    record.source_build,
                    record.source_job,
                    record.target_job,
                    record.how,
                    record.detail,
                    record.bytes,
                ),
            )

    def list_handovers(self, build_id: str) -> list[HandoverRecord]:
        with self._lock:
            rows = self._connection.execute(
                "SELECT * FROM handovers WHERE build_id = ? ORDER BY rowid", (build_id,)
            ).fetchall()
        return [HandoverRecord(**dict(row)) for row in rows]

    # Snapshots

    def put_snapshot(self, digest: str, manifest: dict[str, str], created_at: str) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO snapshots (hash, manifest, created_at) VALUES (?, ?, ?)",
                (digest, json.dumps(manifest, sort_keys=True), created_at),
            )

    def get_snapshot(self, digest: str) -> dict[str, str] | None:
        with self._lock:
            row = self._connection.execute(
                "SELECT manifest FROM snapshots WHERE hash = ?", (digest,)
            ).fetchone()
        return json.loads(row["manifest"]) if row else None


def _folder_clause(folder: Path | None) -> tuple[str, list[str]]:
    if folder is None:
        return "", []
    return "WHERE script LIKE ? ESCAPE '\\'", [_like_prefix(f"{folder.resolve()}/")]


def _like_prefix(prefix: str) -> str:
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"
