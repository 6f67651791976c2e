"""Celery's filesystem transport (the embedded default), with messages that appear whole.

kombu's filesystem transport writes a message by creating
`<folder>/<time>_<uuid>.<queue>.msg` and then writing into it. A worker polling the folder can
list and move the file in between, read it empty, fail to decode it and stop ("Unrecoverable
error: JSONDecodeError('Expecting value: line 1 column 1 (char 0)')"), losing the message;
kombu issue #1551 reports the same error, still open. It showed in this suite on a busy
2-core machine: a worker died and two sentiment-scoring tests timed out. Here a message is
written under a name no queue matches (PARTIAL_SUFFIX) and then renamed into place; a rename
within one folder is atomic on POSIX, so a consumer finds the whole message or none.

`register()` (called by config/celery.py) puts this transport under kombu's `filesystem` alias,
so the broker URL alone still picks the transport: `filesystem://` gets this one, a Redis URL
set later (as some tests do) gets Redis. Celery's `broker_transport` setting would instead
override whatever URL is configured.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import TRANSPORT_ALIASES, filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps

# kombu matches a queue's files on the text after the first dot being exactly "<queue>.msg",
# so a file ending in this suffix belongs to no queue until it is renamed.
PARTIAL_SUFFIX = ".partial"


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        """Put `payload` onto `queue`: write it aside, then rename it into the queue folder."""
        # kombu's own naming: the millisecond prefix sorts older messages first.
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        partial = final + PARTIAL_SUFFIX
        try:
            with open(partial, "wb") as handle:
                handle.write(str_to_bytes(dumps(payload)))
            os.replace(partial, final)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.remove(partial)
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc


class Transport(filesystem.Transport):
    Channel = Channel


def register() -> None:
    """Make `filesystem://` broker URLs use this module's transport in this process."""
    TRANSPORT_ALIASES["filesystem"] = f"{__name__}:Transport"
