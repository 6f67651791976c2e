"""Input and output serializers of the staff ML API: jobs and the model registry."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ml.models import Job, ModelAlias, ModelVersion


class JobListQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Job.Status.choices, required=False)
    kind = serializers.CharField(max_length=64, required=False)


class JobSubmitInputSerializer(serializers.Serializer):
    kind = serializers.CharField(max_length=64, help_text="One of the kinds in /job-kinds/.")
    params = serializers.DictField(
        required=False, default=dict, help_text="The kind's parameters, checked by the kind."
    )


class JobOutputSerializer(serializers.ModelSerializer):
    created_by = serializers.SlugRelatedField(
        slug_field="username",
        read_only=True,
        allow_null=True,
        help_text="Username of whoever submitted the job; null for scheduled jobs.",
    )
    duration_seconds = serializers.FloatField(read_only=True, allow_null=True)

    class Meta:
        model = Job
        fields = [
            "id",
            "kind",
            "queue",
            "status",
            "progress",
            "progress_message",
            "cancel_requested",
            "attempts",
            "model_version",
            "created_by",
            "created_at",
            "started_at",
            "finished_at",
            "duration_seconds",
        ]
        read_only_fields = fields


class JobDetailOutputSerializer(JobOutputSerializer):
    class Meta(JobOutputSerializer.Meta):
        fields = [
            *JobOutputSerializer.Meta.fields,
            "params",
            "metrics",
            "result",
            "error",
            "traceback",
            "log",
        ]
        read_only_fields = fields


class JobKindOutputSerializer(serializers.Serializer):
    kind = serializers.CharField()
    label = serializers.CharField()
    queue = serializers.CharField()
    description = serializers.CharField()


# --- Model registry ------------------------------------------------------------------------


class ModelVersionListQuerySerializer(serializers.Serializer):
    task = serializers.CharField(max_length=64, required=False, help_text="Only this task.")


class ModelVersionOutputSerializer(serializers.ModelSerializer):
    aliases = serializers.SerializerMethodField(
        help_text="The aliases (champion, challenger) that point at this version now."
    )

    class Meta:
        model = ModelVersion
        fields = [
            "id",
            "task",
            "version",
            "base_model",
            "sha256",
            "training_job",
            "data_summary",
            "hyperparameters",
            "metrics",
            "aliases",
            "created_at",
        ]
        read_only_fields = fields

    # Plain strings: the alias enum is named once, by AliasMoveInputSerializer.
    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_aliases(self, version: ModelVersion) -> list[str]:
        # Prefetched by the selector: no query per version.
        return sorted(alias.name for alias in version.aliases.all())


class ModelVersionSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = ModelVersion
        fields = ["id", "task", "version", "base_model", "training_job", "metrics", "created_at"]
        read_only_fields = fields


class AliasOutputSerializer(serializers.ModelSerializer):
    alias = serializers.CharField(source="name", read_only=True, help_text="champion or challenger")
    version = ModelVersionSummarySerializer(read_only=True, help_text="Where the alias points.")
    previous_version = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="The version a roll back would return to."
    )
    updated_by = serializers.SlugRelatedField(
        slug_field="username",
        read_only=True,
        allow_null=True,
        help_text="Username of whoever moved the alias last.",
    )

    class Meta:
        model = ModelAlias
        fields = ["task", "alias", "version", "previous_version", "updated_by", "updated_at"]
        read_only_fields = fields


class TaskAliasesOutputSerializer(serializers.Serializer):
    task = serializers.CharField()
    champion = AliasOutputSerializer(allow_null=True)
    challenger = AliasOutputSerializer(allow_null=True)


class AliasMoveInputSerializer(serializers.Serializer):
    alias = serializers.ChoiceField(
        choices=ModelAlias.Name.choices, help_text="Which alias to move."
    )
