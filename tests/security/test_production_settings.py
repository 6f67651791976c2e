"""`DJANGO_ENV=production` hardens the settings, refuses to start without its secrets, and
passes `manage.py check --deploy` without a warning."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from tests.security.settings_loader import load_settings

ROOT = Path(__file__).resolve().parents[2]
# 50+ characters, varied, not Django's "django-insecure-" prefix: what check --deploy asks.
STRONG_SECRET = "k3J9x!vQ2mR8#tZ5wL1pB7nY4cF6hD0sG-aE_uI9oK2jM5rT8yV3bN6qW1eX4zC"
PRODUCTION_ENV = {
    "DJANGO_ENV": "production",
    "DJANGO_SECRET_KEY": STRONG_SECRET,
    "DJANGO_ALLOWED_HOSTS": "backoffice.example.com",
}


@pytest.fixture
def production_env(monkeypatch, tmp_path):
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    monkeypatch.delenv("DJANGO_DEBUG", raising=False)
    for name, value in PRODUCTION_ENV.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


def test_production_turns_on_https_only_settings(production_env):
    settings = load_settings()

    assert settings["DEBUG"] is False
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["CSRF_COOKIE_SECURE"] is True
    assert settings["SECURE_SSL_REDIRECT"] is True
    assert settings["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")
    assert settings["SECURE_HSTS_SECONDS"] == 31_536_000
    assert settings["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert settings["SECURE_HSTS_PRELOAD"] is True
    assert settings["SECRET_KEY"] == STRONG_SECRET
    assert settings["ALLOWED_HOSTS"] == ["backoffice.example.com"]


@pytest.mark.parametrize("missing", ["DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS"])
def test_production_refuses_to_start_without_its_secrets(production_env, missing):
    production_env.delenv(missing)

    with pytest.raises(ImproperlyConfigured, match=missing):
        load_settings()


def test_production_refuses_debug(production_env):
    production_env.setenv("DJANGO_DEBUG", "1")

    with pytest.raises(ImproperlyConfigured, match="DJANGO_DEBUG"):
        load_settings()


def test_development_keeps_plain_http(monkeypatch, tmp_path):
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    monkeypatch.delenv("DJANGO_ENV", raising=False)

    settings = load_settings()

    assert (settings["SECURE_SSL_REDIRECT"], settings["SESSION_COOKIE_SECURE"]) == (False, False)
    assert settings["SECURE_HSTS_SECONDS"] == 0


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    # A process of its own: settings are read once, when Django starts.
    env = {**os.environ, **PRODUCTION_ENV, "VAR_DIR": str(tmp_path)}
    env.pop("DJANGO_DEBUG", None)

    result = subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
