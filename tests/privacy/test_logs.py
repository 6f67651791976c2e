"""Personal data never reaches the logs: representative flows (API errors, an import with bad
rows, jobs that succeed and fail, export and erasure) run with every log record captured, and
no customer e-mail, name or card-like number from the test data may appear in any of them."""

import logging

import pytest
from django.core.management import CommandError, call_command

from ml.models import Job
from ml.services import job_run_in_process
from shop.privacy.detection import RedactingFormatter, personal_data_in
from tests.factories.api import (
    PASSWORD,
    CustomerFactory,
    ReviewFactory,
    StaffFactory,
    UserFactory,
    api_key_client,
    grant,
    token_client,
)

pytestmark = pytest.mark.django_db

CARD = "4111 1111 1111 1111"
PEOPLE = {
    "ada.lovelace@example.org": "Ada Lovelace",
    "grace.hopper@example.org": "Grace Hopper",
}


class Capture(logging.Handler):
    """Every record that reaches the root logger, as the code emitted it (no filters)."""

    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.name}: {record.getMessage()}")
        if record.exc_info:
            self.lines.append(logging.Formatter().formatException(record.exc_info))


@pytest.fixture
def captured():
    handler = Capture()
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield handler
    root.removeHandler(handler)
    root.setLevel(level)


def run_flows(tmp_path) -> None:
    customers = []
    for email, name in PEOPLE.items():
        user = UserFactory(username=email, email=email)
        customers.append(CustomerFactory(user=user, email=email, name=name))
    ada = customers[0]
    ReviewFactory(customer=ada, text=f"Paid with {CARD}, Ada Lovelace, ada.lovelace@example.org")

    # API errors: a failed log-in, events naming an unknown customer, a wrong password.
    token_client(UserFactory()).post(
        "/api/v1/auth/token/", {"username": ada.email, "password": "wrong"}, format="json"
    )
    api_key_client("events:write").post(
        "/api/v1/events/",
        {"events": [{"kind": "view", "customer_external_id": ada.email, "product_sku": CARD}]},
        format="json",
    )
    token_client(ada.user).post("/api/v1/me/erase/", {"password": CARD}, format="json")

    # An import with bad rows.
    path = tmp_path / "customers.csv"
    path.write_text(
        "external_id,email,name,country\n"
        "c-1,ada.lovelace@example.org,Ada Lovelace,GB\n"
        f"c-2,not-an-email {CARD},Grace Hopper,GB\n"
        "c-3,grace.hopper@example.org,Grace Hopper,Nowhere-land-that-is-far-too-long"
        + "x" * 90
        + "\n"
    )
    with pytest.raises(CommandError):
        call_command("import_store", customers=str(path), stdout=open("/dev/null", "w"))

    # Jobs: one that succeeds and one that fails.
    assert job_run_in_process(kind="rating_aggregates").status == Job.Status.SUCCEEDED
    assert job_run_in_process(kind="sentiment_score").status == Job.Status.FAILED

    # Export and erasure.
    staff = grant(StaffFactory(), "audit.export_customer_data", "audit.erase_customer")
    token_client(staff).get(f"/api/v1/privacy/customers/{ada.pk}/export/")
    token_client(customers[1].user).post("/api/v1/me/erase/", {"password": PASSWORD}, format="json")


def test_no_flow_logs_personal_data(captured, tmp_path):
    run_flows(tmp_path)

    text = "\n".join(captured.lines)
    # The capture is live: the flows did log (a 4xx warning, the failed job's traceback).
    assert "Bad Request" in text
    assert "job" in text and "failed" in text
    leaks = [
        line
        for line in captured.lines
        if personal_data_in(line) or any(name in line for name in PEOPLE.values())
    ]
    assert leaks == []


def test_the_log_formatter_redacts_emails_and_card_numbers_and_leaves_the_record():
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "from %s paying %s", ("ada@example.org", CARD), None
    )

    text = RedactingFormatter("%(message)s").format(record)

    assert text == "from [email] paying [card]"
    assert record.getMessage() == f"from ada@example.org paying {CARD}"


def test_the_detector_ignores_numbers_that_fail_the_luhn_check():
    assert personal_data_in("order 4111 1111 1111 1112, tracking 1234567890123") == []
    assert personal_data_in(f"card {CARD}") == ["4111111111111111"]
