"""Per-process cache of loaded models that follows the registry's aliases.

Inference always goes through `ModelCache.get`, so every result can say which version made
it. When an alias moves, the next call loads the new version; if that version cannot be
loaded (a tampered or missing artifact), the previously loaded one keeps serving and the
error is logged, so one bad promotion never takes a feature down.
"""

import functools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from ml.exceptions import AliasNotSet
from ml.models import ModelAlias, ModelVersion

logger = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class Served(Generic[T]):
    """A loaded model and the registry version it came from."""

    version: ModelVersion
    model: T


class ModelCache:
    def __init__(self, *, check_interval_s: float = 5.0):
        self.check_interval_s = check_interval_s
        self._entries: dict[tuple[str, str], Served[Any]] = {}
        self._checked_at: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()

    def get(
        self,
        *,
        task: str,
        load: Callable[[Path, ModelVersion], T],
        alias: str = ModelAlias.Name.CHAMPION,
    ) -> Served[T]:
        """The model behind `task:alias`, loading it (with `load(path, version)`) if it moved.

        Raises AliasNotSet when nothing was ever promoted, and the load error when the first
        version cannot be loaded.
        """
        from ml.selectors import alias_version_id, artifact_local_dir

        key = (task, alias)
        with self._lock:
            cached = self._entries.get(key)
            now = time.monotonic()
            if cached and now - self._checked_at.get(key, 0.0) < self.check_interval_s:
                return cached
            self._checked_at[key] = now
            version_id = alias_version_id(task=task, alias=alias)
            if version_id is None:
                if cached:
                    return cached
                raise AliasNotSet(f"No {alias} is set for task {task!r}.")
            if cached and cached.version.pk == version_id:
                return cached
            try:
                version = ModelVersion.objects.get(pk=version_id)
                model = load(artifact_local_dir(version=version), version)
            except Exception:
                if cached is None:
                    raise
                logger.exception(
                    "could not load %s:%s version %s; %s keeps serving",
                    task,
                    alias,
                    version_id,
                    cached.version,
                )
                return cached
            served = Served(version=version, model=model)
            self._entries[key] = served
            logger.info("loaded %s for %s:%s", version, task, alias)
            return served

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._checked_at.clear()


model_cache = ModelCache()


def classifier_engine(path: Path, version: Any) -> Any:
    """An EncoderEngine of a fine-tuned classifier version on settings.ML_DEVICE, reading texts
    up to the length it was trained on (its `max_length` hyper-parameter; 128 when absent), so
    that serving sees what training saw."""
    from django.conf import settings

    from ml.training.inference import EncoderEngine, EncoderEngineConfig

    max_length = int((version.hyperparameters or {}).get("max_length", 128))
    return EncoderEngine(
        path, EncoderEngineConfig(max_length=max_length, device=settings.ML_DEVICE)
    )


@functools.lru_cache(maxsize=2)
def _base_encoder(source: str, device: str) -> Any:
    from ml.training.inference import EncoderEngine, EncoderEngineConfig

    return EncoderEngine(source, EncoderEngineConfig(device=device))


def encoder_engine() -> Any:
    """The configured base encoder (settings.ML_ENCODER), loaded once per process: for
    embeddings that need no fine-tuned version (aspect matching, product similarity)."""
    from django.conf import settings

    return _base_encoder(str(settings.ML_ENCODER), str(settings.ML_DEVICE))
