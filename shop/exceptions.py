"""Domain errors of the store."""

from config.api import ConflictError, DomainError, PermissionDeniedError


class ReviewNotAllowed(PermissionDeniedError):
    code = "review_not_allowed"


class DuplicateReview(DomainError):
    code = "duplicate_review"


class ProductPriceChanged(ConflictError):
    """The product's price is no longer the one the change was decided against."""

    code = "product_price_changed"


class ImportFailed(Exception):
    """A whole import file was rejected; `report` lists every bad row."""

    def __init__(self, report):
        super().__init__(report.summary())
        self.report = report
