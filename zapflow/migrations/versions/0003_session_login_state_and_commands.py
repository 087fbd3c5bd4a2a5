"""session login state and commands

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04 16:24:34.293851
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('session_commands',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('session_id', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.Enum('restart', 'logout', 'pairing_code', 'simulator_fault', name='session_command_kind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('payload', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'"), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['session_id'], ['whatsapp_sessions.id'], name=op.f('fk_session_commands_session_id_whatsapp_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_session_commands'))
    )
    op.create_index('ix_session_commands_pending', 'session_commands', ['session_id', 'id'], unique=False, postgresql_where=sa.text('done_at IS NULL'))
    op.add_column('whatsapp_sessions', sa.Column('qr_code', sa.Text(), nullable=True))
    op.add_column('whatsapp_sessions', sa.Column('qr_updated_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('whatsapp_sessions', sa.Column('pairing_code', sa.String(length=16), nullable=True))
    op.add_column('whatsapp_sessions', sa.Column('pairing_code_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column('whatsapp_sessions', 'pairing_code_at')
    op.drop_column('whatsapp_sessions', 'pairing_code')
    op.drop_column('whatsapp_sessions', 'qr_updated_at')
    op.drop_column('whatsapp_sessions', 'qr_code')
    op.drop_index('ix_session_commands_pending', table_name='session_commands', postgresql_where=sa.text('done_at IS NULL'))
    op.drop_table('session_commands')
