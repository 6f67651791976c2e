"""The one place that says which fields hold personal data (PII).

Exports, logs and anonymisation read this map; adding a personal field to a model means
adding it here.
"""

PII_FIELDS: dict[str, tuple[str, ...]] = {
    "shop.Customer": ("email", "name", "external_id"),
    "shop.Event": ("session_id",),
    "shop.Order": ("country",),
}


def pii_fields_for(model_label: str) -> tuple[str, ...]:
    return PII_FIELDS.get(model_label, ())
