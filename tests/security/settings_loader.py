"""Run config/settings.py afresh, as a process started with the current environment would."""

import runpy
from pathlib import Path

import config

SETTINGS_FILE = Path(config.__file__).with_name("settings.py")


def load_settings() -> dict:
    """The settings module's names, evaluated now (django.conf.settings is not touched)."""
    return runpy.run_path(str(SETTINGS_FILE))
