from __future__ import annotations

import datetime
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clocher.territories.models import Territory


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: Any) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)


# Nobody alive was born before: an earlier date is a typing slip (0985 for 1985), not a person.
EARLIEST_BIRTH_DATE = datetime.date(1900, 1, 1)


def validate_birth_date(value: datetime.date) -> None:
    """Refuses a birth date in the future or before 1900: a declared date must be a plausible one."""
    if value > timezone.localdate():
        raise ValidationError(_("La date de naissance ne peut pas être dans le futur."), code="future")
    if value < EARLIEST_BIRTH_DATE:
        raise ValidationError(_("Indiquez une date de naissance après le 1er janvier 1900."), code="too_old")


class User(AbstractUser):
    """A person with an account: a resident, a staff member of a collectivity, or both.

    Identified by e-mail. `is_staff` keeps Django's meaning (may open the Django admin, superusers
    only here); roles on collectivities are territories.StaffRole rows.
    """

    username = None  # type: ignore[assignment]  # e-mail is the identifier
    email = models.EmailField(_("adresse e-mail"), unique=True)
    display_name = models.CharField(_("nom affiché"), max_length=120, blank=True)
    home_commune = models.ForeignKey(
        Territory, models.SET_NULL, null=True, blank=True, related_name="+",
        limit_choices_to={"kind": "commune"}, verbose_name=_("ma commune"),
    )
    followed_communes = models.ManyToManyField(
        Territory, blank=True, related_name="+", verbose_name=_("communes suivies"),
    )
    language = models.CharField(_("langue"), max_length=8, default="fr")
    # Declared, not proven: processes with a minimum age read it (participation.eligibility).
    birth_date = models.DateField(
        _("date de naissance"), null=True, blank=True, validators=[validate_birth_date],
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]  # e-mail, not username

    class Meta:
        verbose_name = _("utilisateur")
        verbose_name_plural = _("utilisateurs")

    def __str__(self) -> str:
        return self.display_name or self.email
