"""Helpers of the news tests: articles and alerts made through the services, as staff make them."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.test import Client
from django.utils import timezone

from clocher.accounts.models import User
from clocher.news import services
from clocher.news.models import Alert, Article
from clocher.territories.models import Territory
from conftest import GERS_HOST

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def with_totp(user: User) -> User:
    """Admins must have a second factor before any /gestion/ page (accounts.security)."""
    TOTP.activate(user, generate_totp_secret())
    return user


def client_for(user: User, host: str = GERS_HOST) -> Client:
    client = Client(HTTP_HOST=host)
    client.force_login(user)
    return client


def publish(actor: Any, territory: Territory, title: str = "Fête de la musique", **data: Any) -> Article:
    audience = data.pop("audience", ())
    at = data.pop("at", None)
    article = services.create_article(actor, territory, {"title": title, **data}, audience=audience)
    return services.publish_article(actor, article, at)


def alert(actor: Any, territory: Territory, title: str = "Coupure d'eau", **extra: Any) -> Alert:
    extra.setdefault("ends_at", timezone.now() + datetime.timedelta(hours=6))
    return services.raise_alert(actor, territory, title, extra.pop("message", "Rue Gambetta."),
                                extra.pop("severity", "warning"), extra.pop("starts_at", None), **extra)


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _inline_tasks(settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
