"""The embedded broker (config/broker.py): a message file appears only once it is whole."""

from __future__ import annotations

import json
import os
import time
from queue import Empty

import pytest
from kombu import Connection
from kombu.transport import filesystem

from config import broker
from config.celery import app as celery_app


def _channel(transport: str, folder) -> object:
    options = {
        "data_folder_in": str(folder),
        "data_folder_out": str(folder),
        "processed_folder": str(folder / "processed"),
        "store_processed": False,
    }
    (folder / "processed").mkdir()
    return Connection("filesystem://", transport=transport, transport_options=options).channel()


def test_filesystem_urls_get_this_transport_and_other_urls_their_own():
    assert Connection("filesystem://").get_transport_cls() is broker.Transport
    assert Connection("redis://127.0.0.1:6379/0").get_transport_cls().__module__ == (
        "kombu.transport.redis"
    )
    if celery_app.conf.broker_url.startswith("filesystem://"):
        assert celery_app.connection_for_write().get_transport_cls() is broker.Transport


def test_a_consumer_finds_nothing_until_the_message_is_whole(tmp_path, monkeypatch):
    channel = _channel("filesystem", tmp_path)
    seen_before_rename = []
    rename = os.replace

    def replace_after_looking(source, target):
        # Mid-put: the payload is written, not yet renamed. A consumer polls now.
        try:
            seen_before_rename.append(channel._get("jobs"))
        except Empty:
            seen_before_rename.append(None)
        assert json.loads((tmp_path / os.path.basename(source)).read_text()) == {"n": 1}
        rename(source, target)

    monkeypatch.setattr(broker.os, "replace", replace_after_looking)
    channel._put("jobs", {"n": 1})
    assert seen_before_rename == [None]  # polled once, mid-put, and found nothing
    assert channel._size("jobs") == 1
    assert channel._get("jobs") == {"n": 1}
    assert list(tmp_path.glob("*.msg*")) == []


def test_without_it_kombu_shows_a_message_before_it_is_written(tmp_path, monkeypatch):
    """Why config/broker.py exists: with kombu's channel a consumer that polls between the
    file's creation and its write reads it empty and fails. If kombu fixes this, this test
    fails and the subclass can go."""
    channel = _channel("kombu.transport.filesystem:Transport", tmp_path)
    assert type(channel) is filesystem.Channel
    errors = []
    lock = filesystem.lock

    def lock_then_poll(handle, flags):
        lock(handle, flags)
        try:
            channel._get("jobs")
        except ValueError as exc:  # json.JSONDecodeError: the empty file
            errors.append(exc)

    monkeypatch.setattr(filesystem, "lock", lock_then_poll)
    channel._put("jobs", {"n": 1})
    assert len(errors) == 1


def test_older_messages_come_first_and_a_failed_write_leaves_nothing(tmp_path, monkeypatch):
    channel = _channel("filesystem", tmp_path)
    for n in range(5):
        channel._put("jobs", {"n": n})
        time.sleep(0.002)  # names order by the millisecond (as kombu's), not within one
    assert [channel._get("jobs")["n"] for _ in range(5)] == [0, 1, 2, 3, 4]

    def full_disk(source, target):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(broker.os, "replace", full_disk)
    with pytest.raises(broker.ChannelError, match="Cannot add file"):
        channel._put("jobs", {"n": 5})
    assert [p.name for p in tmp_path.iterdir()] == ["processed"]
