"""Content hashes of model directories, so that a stored artifact can be verified."""

import hashlib
from pathlib import Path

# What the hash covers: weights and every config/tokenizer file. Logs and metrics are not
# part of the model and may be rewritten without changing it.
HASHED_SUFFIXES = {".safetensors", ".json", ".txt", ".model", ".gguf"}
UNHASHED_NAMES = {"metrics.json"}


class ArtifactMismatch(Exception):
    """A directory is missing or its content differs from the recorded hash."""


def sha256_of_directory(path: Path) -> str:
    """SHA-256 over (relative path, file hash) of the model files, in sorted path order."""
    root = Path(path)
    if not root.is_dir():
        raise ArtifactMismatch(f"{root} is not a directory")
    digest = hashlib.sha256()
    files = sorted(
        p
        for p in root.rglob("*")
        if p.is_file() and p.suffix.lower() in HASHED_SUFFIXES and p.name not in UNHASHED_NAMES
    )
    if not files:
        raise ArtifactMismatch(f"{root} holds no model files")
    for file in files:
        file_digest = hashlib.sha256()
        with file.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                file_digest.update(block)
        digest.update(file.relative_to(root).as_posix().encode())
        digest.update(b"\0")
        digest.update(file_digest.hexdigest().encode())
        digest.update(b"\n")
    return digest.hexdigest()


def verify_sha256(path: Path, expected: str) -> None:
    """Raise ArtifactMismatch unless the directory hashes to `expected`."""
    actual = sha256_of_directory(path)
    if actual != expected:
        raise ArtifactMismatch(f"sha256 is {actual[:12]}…, expected {expected[:12]}…")
