"""Model registry: immutable versions, verified artifacts, promote and roll back."""

from pathlib import Path

import pytest
from transformers import BertModel

from ml import services
from ml.exceptions import ArtifactIntegrityError, RollbackUnavailable
from ml.models import AliasChange, ModelAlias, ModelVersion
from ml.selectors import alias_get, artifact_local_dir
from ml.serving import ModelCache

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("artifact_store")]


def register(directory: Path, f1: float = 0.5) -> ModelVersion:
    return services.modelversion_register(
        task="sentiment",
        source_dir=directory,
        base_model="tiny-bert",
        metrics={"test": {"macro_f1": f1}},
        data_summary={"rows": 10},
        hyperparameters={"lr": 0.001},
    )


def test_register_numbers_versions_and_stores_verified_files(tiny_model_dir, artifact_store):
    first = register(tiny_model_dir)
    second = register(tiny_model_dir)

    assert (first.version, second.version) == (1, 2)
    assert first.artifact_path != second.artifact_path
    stored = artifact_store / first.artifact_path
    assert (stored / "model.safetensors").is_file()
    assert artifact_local_dir(version=first) == stored
    assert len(first.sha256) == 64


def test_register_refuses_pickle_files_and_leaves_nothing(tiny_model_dir, artifact_store):
    (tiny_model_dir / "pytorch_model.bin").write_bytes(b"not really a pickle")

    with pytest.raises(ArtifactIntegrityError, match="pytorch_model.bin"):
        register(tiny_model_dir)

    assert ModelVersion.objects.count() == 0
    assert not artifact_store.exists() or not any(artifact_store.rglob("*.safetensors"))


def test_tampered_artifact_is_refused(tiny_model_dir, artifact_store):
    version = register(tiny_model_dir)
    weights = artifact_store / version.artifact_path / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-4] + b"\0\0\0\0")

    with pytest.raises(ArtifactIntegrityError, match="failed verification"):
        artifact_local_dir(version=version)


def test_missing_artifact_is_refused(tiny_model_dir, artifact_store):
    version = register(tiny_model_dir)
    for file in (artifact_store / version.artifact_path).iterdir():
        file.unlink()
    (artifact_store / version.artifact_path).rmdir()

    with pytest.raises(ArtifactIntegrityError, match="missing"):
        artifact_local_dir(version=version)


def test_promote_then_rollback_moves_champion_and_records_history(tiny_model_dir, admin_user):
    v1, v2 = register(tiny_model_dir, 0.5), register(tiny_model_dir, 0.6)

    services.alias_promote(version_id=v1.pk, user=admin_user)
    services.alias_promote(version_id=v2.pk, user=admin_user)
    assert alias_get(task="sentiment").version == v2

    services.alias_rollback(task="sentiment", user=admin_user)
    champion = alias_get(task="sentiment")
    assert (champion.version, champion.previous_version) == (v1, v2)
    assert list(AliasChange.objects.values_list("action", "to_version__version")) == [
        ("rollback", 1),
        ("promote", 2),
        ("promote", 1),
    ]


def test_rollback_without_history_is_a_clear_error(tiny_model_dir):
    services.alias_promote(version_id=register(tiny_model_dir).pk)

    with pytest.raises(RollbackUnavailable, match="no earlier version"):
        services.alias_rollback(task="sentiment")


def test_tampered_version_cannot_be_promoted(tiny_model_dir, artifact_store):
    version = register(tiny_model_dir)
    (artifact_store / version.artifact_path / "config.json").write_text("{}")

    with pytest.raises(ArtifactIntegrityError):
        services.alias_promote(version_id=version.pk)
    assert not ModelAlias.objects.exists()


def test_model_cache_follows_alias_and_keeps_serving_when_new_version_is_broken(
    tiny_model_dir, artifact_store
):
    v1, v2 = register(tiny_model_dir), register(tiny_model_dir)
    cache = ModelCache(check_interval_s=0)
    loads = []

    def load(path, version):
        loads.append(version.version)
        return BertModel.from_pretrained(path, use_safetensors=True)

    services.alias_promote(version_id=v1.pk)
    assert cache.get(task="sentiment", load=load).version == v1
    assert cache.get(task="sentiment", load=load).version == v1
    assert loads == [1]

    services.alias_promote(version_id=v2.pk)
    assert cache.get(task="sentiment", load=load).version == v2
    assert loads == [1, 2]

    # v1 is damaged in storage, then someone rolls back to it: v2 keeps serving.
    (artifact_store / v1.artifact_path / "model.safetensors").write_bytes(b"broken")
    ModelAlias.objects.filter(task="sentiment").update(version=v1)
    assert cache.get(task="sentiment", load=load).version == v2


def test_rollback_onto_a_tampered_version_is_refused(tiny_model_dir, artifact_store):
    v1, v2 = register(tiny_model_dir), register(tiny_model_dir)
    services.alias_promote(version_id=v1.pk)
    services.alias_promote(version_id=v2.pk)
    (artifact_store / v1.artifact_path / "model.safetensors").write_bytes(b"broken")

    with pytest.raises(ArtifactIntegrityError):
        services.alias_rollback(task="sentiment")
    assert alias_get(task="sentiment").version == v2
