# Register the test-only job kinds before any test submits one.
import tests.ml.job_kinds_for_tests  # noqa: F401
