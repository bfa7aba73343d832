"""Routing: the thread's skill may be unknown (NULL, no more empty text), older threads get
their motif's skill from the stored catalog snapshot, and open threads are indexed by skill.

Threads already holding a skill keep it (it is the one their motif had when they were sent).
Threads with an empty skill get the skill of their motif code in the stored snapshot (every
version lists inactive motifs too); when no snapshot is stored or the code is not in it, the
skill stays NULL: such threads are listed when no skill is chosen (« Toutes ») and under
``skill=none``, never under ``skill=mine`` unless assigned to the caller.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

OPEN = sa.text("status IN ('submitted', 'in_progress')")

BACKFILL = """
UPDATE threads AS thread SET skill = known.skill
FROM (
    SELECT DISTINCT ON (motif ->> 'code') motif ->> 'code' AS code,
           NULLIF(btrim(motif ->> 'skill'), '') AS skill
    FROM catalog_snapshot AS snapshot,
         jsonb_array_elements(snapshot.payload -> 'themes') AS theme,
         jsonb_array_elements(theme -> 'subjects') AS subject,
         jsonb_array_elements(subject -> 'motifs') AS motif
    WHERE snapshot.id = 1
    ORDER BY motif ->> 'code'
) AS known
WHERE thread.skill IS NULL AND thread.motif_code = known.code AND known.skill IS NOT NULL
"""


def upgrade() -> None:
    op.alter_column(
        "threads",
        "skill",
        existing_type=sa.Text(),
        nullable=True,
        server_default=None,
        comment="Routing: the motif's skill when the thread was sent; NULL if it is not known",
    )
    op.execute("UPDATE threads SET skill = NULL WHERE btrim(skill) = ''")
    op.execute(BACKFILL)
    op.create_index(
        "threads_skill_open_queue_idx",
        "threads",
        ["fund", "skill", "due_date", "id"],
        postgresql_where=OPEN,
    )


def downgrade() -> None:
    op.drop_index("threads_skill_open_queue_idx", table_name="threads", postgresql_where=OPEN)
    op.execute("UPDATE threads SET skill = '' WHERE skill IS NULL")
    op.alter_column(
        "threads",
        "skill",
        existing_type=sa.Text(),
        nullable=False,
        server_default="",
        comment=None,
    )
