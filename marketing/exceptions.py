"""Domain errors of marketing."""

from config.api import ConflictError


class AdCopyNotApprovable(ConflictError):
    """The copy checks rejected the variant; it must be edited and pass them first."""

    code = "adcopy_rejected"
