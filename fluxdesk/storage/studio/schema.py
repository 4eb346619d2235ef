"""The studio's schema on PostgreSQL (``fluxdesk``), created and migrated by ``fluxdesk studio init`` (an admin's
login), and the seats' roles (``add_seat``).

Security lives in the database: every seat logs in as a role of its own, a member of ``fluxdesk_seat``, which may
read the ledger and insert into it but neither update nor delete a row (no privilege, and row-level security that
lets a seat insert only rows in its own name). Corrections are new rows. A trigger (running as the schema's owner)
keeps ``ledger_days``, the per-day totals the team figures are read from, so a month of 50 seats stays fast.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fluxdesk.storage.studio.link import StudioError, connect, describe

if TYPE_CHECKING:
    import psycopg

SCHEMA = "fluxdesk"
SEAT_GROUP = "fluxdesk_seat"
SEAT_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")

_V1: Sequence[str] = (
    f"""DO $$ BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{SEAT_GROUP}') THEN
            CREATE ROLE {SEAT_GROUP} NOLOGIN;
        END IF;
    END $$""",
    f"GRANT USAGE ON SCHEMA {SCHEMA} TO {SEAT_GROUP}",
    # name: what the seat is called in the ledger; role: the database role it logs in as.
    f"""CREATE TABLE {SCHEMA}.seats (
        name text PRIMARY KEY,
        role text NOT NULL UNIQUE,
        created_at timestamptz NOT NULL DEFAULT now()
    )""",
    f"""CREATE TABLE {SCHEMA}.team (
        id boolean PRIMARY KEY DEFAULT true CHECK (id),
        monthly_budget_usd numeric CHECK (monthly_budget_usd >= 0),
        share_prompts boolean NOT NULL DEFAULT false
    )""",
    f"INSERT INTO {SCHEMA}.team (id) VALUES (true)",
    f"""CREATE TABLE {SCHEMA}.projects (
        name text PRIMARY KEY,
        budget_usd numeric CHECK (budget_usd >= 0),
        archived boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now()
    )""",
    f"""CREATE TABLE {SCHEMA}.ledger (
        job_id text PRIMARY KEY,
        seat text NOT NULL REFERENCES {SCHEMA}.seats(name),
        created_at timestamptz NOT NULL,
        project text,
        model text NOT NULL,
        width integer,
        height integer,
        credits numeric,
        usd numeric,
        status text NOT NULL,
        billed boolean NOT NULL,
        prompt text,
        received_at timestamptz NOT NULL DEFAULT now()
    )""",
    f"CREATE INDEX ledger_by_time ON {SCHEMA}.ledger (created_at)",
    f"CREATE INDEX ledger_by_seat ON {SCHEMA}.ledger (seat, created_at)",
    # One row per UTC day, seat, project, model and billed-or-not: the team figures' source.
    f"""CREATE TABLE {SCHEMA}.ledger_days (
        day date NOT NULL,
        seat text NOT NULL,
        project text NOT NULL DEFAULT '',
        model text NOT NULL,
        billed boolean NOT NULL,
        credits numeric NOT NULL DEFAULT 0,
        usd numeric NOT NULL DEFAULT 0,
        jobs bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (day, seat, project, model, billed)
    )""",
    f"""CREATE FUNCTION {SCHEMA}.count_ledger_row() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, {SCHEMA} AS $$
    BEGIN
        INSERT INTO {SCHEMA}.ledger_days AS d (day, seat, project, model, billed, credits, usd, jobs)
        VALUES ((NEW.created_at AT TIME ZONE 'UTC')::date, NEW.seat, COALESCE(NEW.project, ''), NEW.model,
                NEW.billed, COALESCE(NEW.credits, 0), COALESCE(NEW.usd, 0), 1)
        ON CONFLICT (day, seat, project, model, billed) DO UPDATE
            SET credits = d.credits + EXCLUDED.credits, usd = d.usd + EXCLUDED.usd, jobs = d.jobs + 1;
        RETURN NULL;
    END $$""",
    # After each row actually inserted: a row skipped by ON CONFLICT DO NOTHING is not counted.
    f"""CREATE TRIGGER ledger_counted AFTER INSERT ON {SCHEMA}.ledger
        FOR EACH ROW EXECUTE FUNCTION {SCHEMA}.count_ledger_row()""",
    f"REVOKE ALL ON ALL TABLES IN SCHEMA {SCHEMA} FROM PUBLIC",
    f"REVOKE ALL ON FUNCTION {SCHEMA}.count_ledger_row() FROM PUBLIC",
    f"GRANT SELECT ON {SCHEMA}.seats, {SCHEMA}.team, {SCHEMA}.ledger_days, {SCHEMA}.version TO {SEAT_GROUP}",
    f"GRANT SELECT, INSERT ON {SCHEMA}.ledger TO {SEAT_GROUP}",
    # A seat adds a project it sends jobs for to the shared list by name; its budget is the admin's to set.
    f"GRANT SELECT, INSERT (name) ON {SCHEMA}.projects TO {SEAT_GROUP}",
    f"ALTER TABLE {SCHEMA}.ledger ENABLE ROW LEVEL SECURITY",
    f"CREATE POLICY seats_read_all ON {SCHEMA}.ledger FOR SELECT TO {SEAT_GROUP} USING (true)",
    # A seat writes only in its own name, and a prompt only when the studio shares prompts.
    f"""CREATE POLICY seats_insert_own ON {SCHEMA}.ledger FOR INSERT TO {SEAT_GROUP} WITH CHECK (
        seat = (SELECT s.name FROM {SCHEMA}.seats s WHERE s.role = current_user)
        AND (prompt IS NULL OR (SELECT t.share_prompts FROM {SCHEMA}.team t)))""",
)

_V2: Sequence[str] = (
    # Corrections (issue #21): a job moved to another project after its row was sent is re-filed by a new row that
    # ``corrects`` it and names the project it belongs to now (no credits of its own, so a plain sum of the ledger
    # stays right). The rows already there are never changed.
    f"ALTER TABLE {SCHEMA}.ledger ADD COLUMN corrects text REFERENCES {SCHEMA}.ledger(job_id)",
    f"CREATE INDEX ledger_corrections ON {SCHEMA}.ledger (corrects) WHERE corrects IS NOT NULL",
    # Each job's project as its latest row says ('' for none): what a correction moves the job's money from.
    f"""CREATE TABLE {SCHEMA}.job_projects (
        job_id text PRIMARY KEY REFERENCES {SCHEMA}.ledger(job_id),
        project text NOT NULL
    )""",
    f"""INSERT INTO {SCHEMA}.job_projects (job_id, project)
        SELECT job_id, COALESCE(project, '') FROM {SCHEMA}.ledger""",
    f"REVOKE ALL ON {SCHEMA}.job_projects FROM PUBLIC",
    f"""CREATE OR REPLACE FUNCTION {SCHEMA}.count_ledger_row() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, {SCHEMA} AS $$
    DECLARE
        original {SCHEMA}.ledger;
        was text;
        now_in text := COALESCE(NEW.project, '');
    BEGIN
        IF NEW.corrects IS NULL THEN
            INSERT INTO {SCHEMA}.ledger_days AS d (day, seat, project, model, billed, credits, usd, jobs)
            VALUES ((NEW.created_at AT TIME ZONE 'UTC')::date, NEW.seat, now_in, NEW.model,
                    NEW.billed, COALESCE(NEW.credits, 0), COALESCE(NEW.usd, 0), 1)
            ON CONFLICT (day, seat, project, model, billed) DO UPDATE
                SET credits = d.credits + EXCLUDED.credits, usd = d.usd + EXCLUDED.usd, jobs = d.jobs + 1;
            INSERT INTO {SCHEMA}.job_projects (job_id, project) VALUES (NEW.job_id, now_in);
            RETURN NULL;
        END IF;
        SELECT * INTO original FROM {SCHEMA}.ledger WHERE job_id = NEW.corrects;
        SELECT project INTO was FROM {SCHEMA}.job_projects WHERE job_id = NEW.corrects FOR UPDATE;
        IF was IS NULL OR was = now_in THEN
            RETURN NULL;  -- already filed there (the original was sent after the move, or a repeated correction)
        END IF;
        UPDATE {SCHEMA}.ledger_days
            SET credits = credits - COALESCE(original.credits, 0), usd = usd - COALESCE(original.usd, 0),
                jobs = jobs - 1
            WHERE day = (original.created_at AT TIME ZONE 'UTC')::date AND seat = original.seat AND project = was
                  AND model = original.model AND billed = original.billed;
        INSERT INTO {SCHEMA}.ledger_days AS d (day, seat, project, model, billed, credits, usd, jobs)
        VALUES ((original.created_at AT TIME ZONE 'UTC')::date, original.seat, now_in, original.model,
                original.billed, COALESCE(original.credits, 0), COALESCE(original.usd, 0), 1)
        ON CONFLICT (day, seat, project, model, billed) DO UPDATE
            SET credits = d.credits + EXCLUDED.credits, usd = d.usd + EXCLUDED.usd, jobs = d.jobs + 1;
        UPDATE {SCHEMA}.job_projects SET project = now_in WHERE job_id = NEW.corrects;
        RETURN NULL;
    END $$""",
    f"DROP POLICY seats_insert_own ON {SCHEMA}.ledger",
    # As before, and a correction only of one of the seat's own jobs (never of another correction).
    f"""CREATE POLICY seats_insert_own ON {SCHEMA}.ledger FOR INSERT TO {SEAT_GROUP} WITH CHECK (
        seat = (SELECT s.name FROM {SCHEMA}.seats s WHERE s.role = current_user)
        AND (prompt IS NULL OR (SELECT t.share_prompts FROM {SCHEMA}.team t))
        AND (corrects IS NULL OR (credits IS NULL AND usd IS NULL AND EXISTS (
            SELECT 1 FROM {SCHEMA}.ledger o
            WHERE o.job_id = ledger.corrects AND o.seat = ledger.seat AND o.corrects IS NULL))))""",
)

MIGRATIONS: Sequence[Sequence[str]] = (_V1, _V2)
"""Migration ``i`` takes the schema from version ``i`` to ``i + 1``. Append only; never edit one."""


@dataclass(frozen=True)
class Seat:
    seat: str
    user: str
    password: str


def seat_name(name: str) -> str:
    """``name`` as a seat name (lower case letters, digits, ``-`` and ``_``, starting with a letter); else
    ``StudioError``."""
    cleaned = name.strip().lower()
    if not SEAT_NAME.match(cleaned):
        raise StudioError(f"{name!r} cannot be a seat name: use up to 40 lower-case letters, digits, - and _, "
                          "starting with a letter (for example anna or seat-3)")
    return cleaned


def schema_version(conn: psycopg.Connection[tuple[object, ...]]) -> int:
    """The studio schema's version; 0 when the database has none yet."""
    row = conn.execute("SELECT to_regclass(%s)", (f"{SCHEMA}.version",)).fetchone()
    if row is None or row[0] is None:
        return 0
    version = conn.execute(f"SELECT max(version) FROM {SCHEMA}.version").fetchone()
    return int(str(version[0])) if version and version[0] is not None else 0


def init_schema(url: str, password: str | None = None) -> int:
    """Create or migrate the studio schema at ``url`` (an admin's login: one who may create roles); answer its
    version. Running it again changes nothing."""
    with connect(url, password) as conn:
        try:
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(hashtext('fluxdesk studio schema'))")
                conn.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
                conn.execute(f"CREATE TABLE IF NOT EXISTS {SCHEMA}.version (version integer PRIMARY KEY, "
                             "applied_at timestamptz NOT NULL DEFAULT now())")
                current = schema_version(conn)
                if current > len(MIGRATIONS):
                    raise StudioError(f"this studio's schema is version {current}, newer than this FluxDesk knows "
                                      f"({len(MIGRATIONS)}): update FluxDesk")
                for number in range(current, len(MIGRATIONS)):
                    for statement in MIGRATIONS[number]:
                        conn.execute(statement.encode())
                    conn.execute(f"INSERT INTO {SCHEMA}.version (version) VALUES (%s)", (number + 1,))
            return len(MIGRATIONS)
        except StudioError:
            raise
        except Exception as exc:
            raise describe(exc, url) from None


def role_for(dbname: str, seat: str) -> str:
    """The role a seat logs in as: named for the database too, so two studios can share a server."""
    base = re.sub(r"[^a-z0-9_]", "_", dbname.lower())[:20]
    return f"fd_{base}_{seat.replace('-', '_')}"[:63]


def add_seat(url: str, name: str, password: str | None = None) -> Seat:
    """Create seat ``name``'s role with a new random password (shown once: it is stored nowhere here)."""
    seat = seat_name(name)
    new_password = secrets.token_urlsafe(24)
    with connect(url, password) as conn:
        try:
            if schema_version(conn) == 0:
                raise StudioError("this database has no FluxDesk studio schema yet: run `fluxdesk studio init` first")
            dbname = conn.info.dbname
            role = role_for(dbname, seat)
            with conn.transaction():
                taken = conn.execute(f"SELECT 1 FROM {SCHEMA}.seats WHERE name = %s", (seat,)).fetchone()
                if taken:
                    raise StudioError(f"there is already a seat called {seat!r}")
                from psycopg import sql

                # The server is sent a SCRAM verifier, never the password: a statement log or pg_stat_activity
                # would otherwise show it in clear.
                verifier = conn.pgconn.encrypt_password(new_password.encode(), role.encode(), b"scram-sha-256")
                conn.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {} IN ROLE {}").format(
                    sql.Identifier(role), sql.Literal(verifier.decode()), sql.Identifier(SEAT_GROUP)))
                conn.execute(f"INSERT INTO {SCHEMA}.seats (name, role) VALUES (%s, %s)", (seat, role))
        except StudioError:
            raise
        except Exception as exc:
            raise describe(exc, url) from None
    return Seat(seat, role, new_password)


def check_seat(url: str, password: str | None, seat: str) -> None:
    """Log in at ``url`` and make sure its user is seat ``seat``'s role; else a ``StudioError`` saying why."""
    with connect(url, password) as conn:
        try:
            if schema_version(conn) == 0:
                raise StudioError("this database has no FluxDesk studio schema: the studio's admin runs "
                                  "`fluxdesk studio init` first")
            row = conn.execute(f"SELECT name FROM {SCHEMA}.seats WHERE role = current_user").fetchone()
        except StudioError:
            raise
        except Exception as exc:
            raise describe(exc, url) from None
    if row is None or row[0] != seat:
        raise StudioError(f"this login is not seat {seat!r} of the studio"
                          + ("" if row is None else f" (it is seat {row[0]!r})"))
