"""campaign audience, caps counting unknown rows, session_paused notifications

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 18:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_KINDS = (
    "'session_disconnected', 'session_logged_out', 'session_banned', 'send_succeeded', "
    "'send_failed', 'campaign_finished'"
)
NEW_KINDS = OLD_KINDS + ", 'session_paused'"


def upgrade() -> None:
    op.add_column(
        'campaigns',
        sa.Column('audience', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'"), nullable=False),
    )
    op.create_index(
        'ix_messages_unknown_session_id_sending_at', 'messages', ['session_id', 'sending_at'],
        unique=False, postgresql_where=sa.text("status = 'unknown'"),
    )
    _replace_kind_check(NEW_KINDS)


def downgrade() -> None:
    op.execute("DELETE FROM notifications WHERE kind = 'session_paused'")
    _replace_kind_check(OLD_KINDS)
    op.drop_index('ix_messages_unknown_session_id_sending_at', table_name='messages', postgresql_where=sa.text("status = 'unknown'"))
    op.drop_column('campaigns', 'audience')


def _replace_kind_check(kinds: str) -> None:
    op.execute(
        "ALTER TABLE notifications DROP CONSTRAINT ck_notifications_notification_kind, "
        f"ADD CONSTRAINT ck_notifications_notification_kind CHECK (kind IN ({kinds}))"
    )
