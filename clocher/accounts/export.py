"""What Clocher holds about a person, gathered for "download my data" (RGPD, article 20)."""

from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator

from clocher.core.modules import registry
from clocher.territories.models import AuditEntry, Invitation, StaffRole, Territory

from .models import User


def _territory(territory: Territory | None) -> dict[str, str] | None:
    if territory is None:
        return None
    return {"kind": territory.kind, "code": territory.code, "name": territory.name}


def personal_data(user: User) -> dict[str, Any]:
    """Everything tied to the account, as JSON-ready data (datetimes are left for the encoder).

    Secrets are left out on purpose (password hash, TOTP secret, recovery codes): they identify
    nothing and would only help whoever intercepts the file. Each module that declares
    `personal_data` adds its own part under its name.
    """
    emails = EmailAddress.objects.filter(user=user).order_by("-primary", "email")
    roles = StaffRole.objects.filter(user=user).select_related("territory").order_by("created_at", "pk")
    audit = AuditEntry.objects.filter(actor=user).select_related("territory").order_by("created_at", "pk")
    # Only invitations to addresses the person proved are theirs: anyone can add an unverified
    # address to an account, and must not learn who was invited there.
    verified = [e.email for e in emails if e.verified]
    invitations = (
        Invitation.objects.filter(email__in=verified).select_related("territory").order_by("created_at")
    )
    modules: dict[str, Any] = {}
    for module in registry.all():
        if module.personal_data is not None:
            modules[module.name] = module.personal_data(user)
    return {
        "account": {
            "email": user.email,
            "display_name": user.display_name,
            "language": user.language,
            "birth_date": user.birth_date,
            "date_joined": user.date_joined,
            "last_login": user.last_login,
            "is_superuser": user.is_superuser,
            "second_factor": sorted(
                Authenticator.objects.filter(user=user).values_list("type", flat=True)
            ),
        },
        "email_addresses": [
            {"email": e.email, "verified": e.verified, "primary": e.primary} for e in emails
        ],
        "home_commune": _territory(user.home_commune),
        "followed_communes": [
            _territory(t) for t in user.followed_communes.order_by("name", "code")
        ],
        "staff_roles": [
            {"territory": _territory(r.territory), "role": r.role, "since": r.created_at} for r in roles
        ],
        "invitations": [
            {
                "territory": _territory(i.territory),
                "email": i.email,
                "role": i.role,
                "created_at": i.created_at,
                "accepted_at": i.accepted_at,
            }
            for i in invitations
        ],
        "audit_entries": [
            {
                "territory": _territory(a.territory),
                "action": a.action,
                "summary": a.summary,
                "changes": a.changes,
                "created_at": a.created_at,
            }
            for a in audit
        ],
        "modules": modules,
    }
