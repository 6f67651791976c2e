"""Personal data of the store's customers: which fields hold it, a customer's export, their
erasure, and the checks that keep it out of logs and job parameters.

- `PII_FIELDS` (here): the one map of personal fields; exports, erasure, log scrubbing and the
  tests read it, so adding a personal field to a model means adding it here.
- `shop.privacy.selectors`: the export (everything the store holds about one customer).
- `shop.privacy.services`: the erasure (in one transaction, with an erasure record).
- `shop.privacy.detection`: pure detectors of personal data in text (e-mails, card numbers).
"""

PII_FIELDS: dict[str, tuple[str, ...]] = {
    "auth.User": ("username", "email", "first_name", "last_name"),
    "shop.Customer": ("email", "name", "external_id", "country"),
    "shop.Event": ("session_id",),
    "shop.Order": ("country",),
    "shop.Review": ("title", "text"),
    "support.Conversation": ("session_id",),
    "support.Message": ("text",),
    "recommendations.ListEvent": ("session_id",),
    "marketing.AdEvent": ("session_id",),
}
# Personal fields an erasure keeps, and why (docs/privacy.md).
RETAINED_ON_ERASURE: dict[str, tuple[str, ...]] = {
    # Tax records need the destination country; with no name or e-mail it identifies nobody.
    "shop.Order": ("country",),
}


def pii_fields_for(model_label: str) -> tuple[str, ...]:
    return PII_FIELDS.get(model_label, ())
