"""Proof of deposit: each member's message keeps the SHA-256 of its canonical form
(``messages.domain.receipts``, version 1), printed on its « accusé de dépôt ».

Messages sent before this revision get theirs here, computed from what is stored (the text
was already stored in NFC, the time to the microsecond), in batches of 1 000 by id. Replies
keep NULL. A message added later without one (a bulk load) gets it when its proof is first
downloaded.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

import hashlib

import sqlalchemy as sa
from alembic import op

from messages.domain.model import Node
from messages.domain.receipts import canonical_bytes

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

BATCH = 1000

MISSING = sa.text(
    """
    SELECT message.id, message.follow_up, message.created_at, message.body,
           thread.fund, thread.reference, thread.theme_code, thread.theme_label,
           thread.subject_code, thread.subject_label, thread.motif_code, thread.motif_label
    FROM messages AS message JOIN threads AS thread ON thread.id = message.thread_id
    WHERE message.author_kind = 'member' AND message.deposit_sha256 IS NULL
    ORDER BY message.id
    LIMIT :batch
    """
)
STORE = sa.text("UPDATE messages SET deposit_sha256 = :digest WHERE id = :id")


def upgrade() -> None:
    op.add_column(
        "messages",
        sa.Column(
            "deposit_sha256",
            sa.Text(),
            nullable=True,
            comment="Member's messages: SHA-256 of the canonical form printed on the proof of deposit",
        ),
    )
    connection = op.get_bind()
    while True:
        rows = connection.execute(MISSING, {"batch": BATCH}).mappings().all()
        if not rows:
            break
        connection.execute(
            STORE,
            [
                {
                    "id": row["id"],
                    "digest": hashlib.sha256(
                        canonical_bytes(
                            fund=row["fund"],
                            reference=row["reference"],
                            message_id=row["id"],
                            follow_up=row["follow_up"],
                            submitted_at=row["created_at"],
                            theme=Node(row["theme_code"], row["theme_label"]),
                            subject=Node(row["subject_code"], row["subject_label"]),
                            motif=Node(row["motif_code"], row["motif_label"]),
                            text=row["body"],
                        )
                    ).hexdigest(),
                }
                for row in rows
            ],
        )


def downgrade() -> None:
    op.drop_column("messages", "deposit_sha256")
