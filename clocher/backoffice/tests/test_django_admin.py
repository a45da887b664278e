"""The Django admin is for superusers only: staff of collectivities work in /gestion/."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from clocher.accounts.models import User
from conftest import GERS_HOST

from .conftest import with_totp


def test_a_territory_admin_cannot_use_the_django_admin(alice):
    client = Client(HTTP_HOST=GERS_HOST)
    client.force_login(alice)
    assert client.get(reverse("admin:index")).status_code in (302, 403)
    assert client.get(reverse("admin:accounts_user_changelist")).status_code in (302, 403)


def test_even_the_is_staff_flag_opens_nothing_without_superuser(alice):
    User.objects.filter(pk=alice.pk).update(is_staff=True)
    client = Client(HTTP_HOST=GERS_HOST)
    client.force_login(alice)
    response = client.get(reverse("admin:territories_staffrole_changelist"))
    assert response.status_code in (302, 403)
    if response.status_code == 302:
        assert "/admin/login/" in response["Location"]


def test_a_superuser_manages_users_by_email(db, gers_portal):
    root = with_totp(User.objects.create_superuser(email="root@example.org", password="x-long-password"))
    client = Client(HTTP_HOST=GERS_HOST)
    client.force_login(root)
    page = client.get(reverse("admin:accounts_user_changelist"))
    assert page.status_code == 200 and "root@example.org" in page.content.decode()
    assert client.get(reverse("admin:accounts_user_add")).status_code == 200
    assert client.get(reverse("admin:territories_auditentry_changelist")).status_code == 200
    assert client.get(reverse("admin:territories_territory_changelist")).status_code == 200


def test_a_superuser_reaches_the_directorys_admin_pages(db, gers_portal):
    from django.test import Client

    from clocher.accounts.models import User
    from clocher.accounts.tests.conftest import activate_totp

    admin_user = User.objects.create_superuser(email="root@example.org", password="x" * 12)
    activate_totp(admin_user)
    client = Client(HTTP_HOST="gers.test")
    client.force_login(admin_user)
    for url in ("/admin/directory/place/", "/admin/directory/place/add/",
                "/admin/directory/usefulcontact/", "/admin/directory/placeproposal/"):
        assert client.get(url).status_code == 200, url


def test_a_superuser_reaches_the_admin_pages_of_issue_5_and_6s_models(db, gers_portal):
    from django.test import Client

    from clocher.accounts.models import User
    from clocher.accounts.tests.conftest import activate_totp

    admin_user = User.objects.create_superuser(email="root@example.org", password="x" * 12)
    activate_totp(admin_user)
    client = Client(HTTP_HOST="gers.test")
    client.force_login(admin_user)
    for url in (
        "/admin/agenda/event/", "/admin/news/article/", "/admin/news/alert/",
        "/admin/organisations/organisation/", "/admin/imports/importsource/",
        "/admin/reports/reportcategory/", "/admin/reports/reportcategory/add/", "/admin/reports/report/",
    ):
        assert client.get(url).status_code == 200, url
