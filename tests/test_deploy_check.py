"""Django's deployment check passes with the settings docs/deploy.md tells production to use."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

from django.conf import settings


def deploy_check(
    tmp_path: Path, *, without: tuple[str, ...] = (), **overrides: str
) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key != "DEBUG"}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "SECRET_KEY": secrets.token_urlsafe(60),
            "ALLOWED_HOSTS": "example.org",
            "SECURE_SSL": "1",
            "SQLITE_PATH": str(tmp_path / "deploy.sqlite3"),
            **overrides,
        }
    )
    for name in without:
        del env[name]
    return subprocess.run(
        [sys.executable, "-m", "clocher.manage", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120, check=False,
    )


def test_the_production_settings_pass_the_deploy_check(tmp_path):
    done = deploy_check(tmp_path)
    assert done.returncode == 0, done.stderr + done.stdout
    assert "no issues" in done.stdout


def test_the_deploy_check_refuses_an_installation_without_https(tmp_path):
    done = deploy_check(tmp_path, SECURE_SSL="")
    assert done.returncode != 0
    assert "security.W008" in done.stderr  # SECURE_SSL_REDIRECT
    assert "security.W012" in done.stderr  # SESSION_COOKIE_SECURE


def test_the_deploy_check_refuses_the_embedded_secret_key(tmp_path):
    done = deploy_check(tmp_path, without=("SECRET_KEY",))
    assert done.returncode != 0
    assert "security.W009" in done.stderr
