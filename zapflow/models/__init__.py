"""All ORM models, in one package (as Polar does): one import registers every table."""

from zapflow.models.auth import (
    ApiKey,
    AuditLog,
    AuthSession,
    LoginAttempt,
    RateLimitBucket,
    WorkerHeartbeat,
)
from zapflow.models.birthday import BirthdayCampaign, BirthdayGreeting
from zapflow.models.campaign import (
    Campaign,
    CampaignKind,
    CampaignSession,
    CampaignStatus,
    MediaFile,
    MessageType,
)
from zapflow.models.contact import (
    Contact,
    ContactImport,
    ContactImportRejection,
    ContactList,
    ContactListMember,
    ImportStatus,
    RowOutcome,
)
from zapflow.models.group import Group, GroupMember, MemberStatus
from zapflow.models.message import Message, MessageSource, MessageStatus, RecipientKind
from zapflow.models.notification import Notification, NotificationKind, NotificationSettings
from zapflow.models.safety import NumberCheck, NumberFailure, OptOut, OptOutSource
from zapflow.models.user import Role, User
from zapflow.models.whatsapp import (
    CommandKind,
    DesiredState,
    Engine,
    SessionAuthKey,
    SessionCommand,
    SessionEvent,
    SessionStatus,
    WhatsAppSession,
)

__all__ = [
    "ApiKey",
    "AuditLog",
    "AuthSession",
    "BirthdayCampaign",
    "BirthdayGreeting",
    "Campaign",
    "CampaignKind",
    "CampaignSession",
    "CampaignStatus",
    "CommandKind",
    "Contact",
    "ContactImport",
    "ContactImportRejection",
    "ContactList",
    "ContactListMember",
    "DesiredState",
    "Engine",
    "Group",
    "GroupMember",
    "ImportStatus",
    "LoginAttempt",
    "MediaFile",
    "MemberStatus",
    "Message",
    "MessageSource",
    "MessageStatus",
    "MessageType",
    "Notification",
    "NotificationKind",
    "NotificationSettings",
    "NumberCheck",
    "NumberFailure",
    "OptOut",
    "OptOutSource",
    "RateLimitBucket",
    "RecipientKind",
    "Role",
    "RowOutcome",
    "SessionAuthKey",
    "SessionCommand",
    "SessionEvent",
    "SessionStatus",
    "User",
    "WhatsAppSession",
    "WorkerHeartbeat",
]
