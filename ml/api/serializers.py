"""Input and output serializers of the jobs API (staff only)."""

from rest_framework import serializers

from ml.models import Job


class JobListQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Job.Status.choices, required=False)
    kind = serializers.CharField(max_length=64, required=False)


class JobSubmitInputSerializer(serializers.Serializer):
    kind = serializers.CharField(max_length=64, help_text="One of the kinds in /job-kinds/.")
    params = serializers.DictField(
        required=False, default=dict, help_text="The kind's parameters, checked by the kind."
    )


class JobOutputSerializer(serializers.ModelSerializer):
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
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
