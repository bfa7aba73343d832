"""Thread counts kept as threads change: the queue's counts no longer scan a fund's history.

thread_counts holds, per fund, status, theme, subject, motif, skill and assignee, how many
threads are answered, awaiting the member or closed: the statuses a fund's threads pile up
in, year after year. A trigger on threads keeps it in the transaction that inserts, changes
or deletes a thread, so the counts are exact; a thread that only changes otherwise (read,
consulted, its due date) does not call it, nor does a submission (a new thread is open).
Open threads, the work in hand, are still counted from the threads themselves (a counter
row per fund and motif would make every submission wait for the one before it to commit), but
from threads_open_counts_idx alone: every column the counts read, for open threads only, so
they no longer fetch each open thread's page of the table.

Created with the trigger, then filled from the threads, in one transaction: the trigger's
lock on threads holds their writes back until both are done, so none is counted twice or
missed.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

KEY = "fund, status, theme_code, subject_code, motif_code, skill, assignee_id"
NOT_OPEN = "status NOT IN ('submitted', 'in_progress')"

FOLLOW = f"""
CREATE FUNCTION thread_counts_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Upserts on the key's unique index (NULLs not distinct): the row is found, or made,
    -- and locked until the commit, so concurrent changes add up.
    IF TG_OP <> 'INSERT' AND OLD.{NOT_OPEN} THEN
        INSERT INTO thread_counts AS counts ({KEY}, total)
        VALUES (OLD.fund, OLD.status, OLD.theme_code, OLD.subject_code, OLD.motif_code,
                OLD.skill, OLD.assignee_id, -1)
        ON CONFLICT ({KEY}) DO UPDATE SET total = counts.total - 1;
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.{NOT_OPEN} THEN
        INSERT INTO thread_counts AS counts ({KEY}, total)
        VALUES (NEW.fund, NEW.status, NEW.theme_code, NEW.subject_code, NEW.motif_code,
                NEW.skill, NEW.assignee_id, 1)
        ON CONFLICT ({KEY}) DO UPDATE SET total = counts.total + 1;
    END IF;
    RETURN NULL;
END
$$
"""  # noqa: S608 - constants of this file only

OLD_KEY = ", ".join(f"OLD.{column}" for column in KEY.split(", "))
NEW_KEY = ", ".join(f"NEW.{column}" for column in KEY.split(", "))

TRIGGERS = {
    "thread_counts_on_insert": f"AFTER INSERT ON threads FOR EACH ROW WHEN (NEW.{NOT_OPEN})",
    "thread_counts_on_update": (
        f"AFTER UPDATE OF {KEY} ON threads FOR EACH ROW "
        f"WHEN ((OLD.{NOT_OPEN} OR NEW.{NOT_OPEN}) "
        f"AND ({OLD_KEY}) IS DISTINCT FROM ({NEW_KEY}))"
    ),
    "thread_counts_on_delete": f"AFTER DELETE ON threads FOR EACH ROW WHEN (OLD.{NOT_OPEN})",
}


def upgrade() -> None:
    op.create_table(
        "thread_counts",
        sa.Column("fund", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("theme_code", sa.Text(), nullable=False),
        sa.Column("subject_code", sa.Text(), nullable=False),
        sa.Column("motif_code", sa.Text(), nullable=False),
        sa.Column("skill", sa.Text(), nullable=True),
        sa.Column("assignee_id", sa.Uuid(), nullable=True),
        sa.Column("total", sa.BigInteger(), nullable=False),
    )
    op.create_index(
        "thread_counts_key",
        "thread_counts",
        KEY.split(", "),
        unique=True,
        postgresql_nulls_not_distinct=True,
    )
    op.create_index(
        "threads_open_counts_idx",
        "threads",
        ["fund", "theme_code", "subject_code", "motif_code"],
        postgresql_include=["status", "skill", "assignee_id", "due_date", "relance"],
        postgresql_where=sa.text("status IN ('submitted', 'in_progress')"),
    )
    op.execute(FOLLOW)
    for name, when in TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {when} EXECUTE FUNCTION thread_counts_follow()")
    op.execute(
        f"INSERT INTO thread_counts ({KEY}, total) "  # noqa: S608 - constants of this file only
        f"SELECT {KEY}, count(*) FROM threads WHERE {NOT_OPEN} GROUP BY {KEY}"
    )


def downgrade() -> None:
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER {name} ON threads")
    op.execute("DROP FUNCTION thread_counts_follow()")
    op.drop_table("thread_counts")
    op.drop_index("threads_open_counts_idx", table_name="threads")
