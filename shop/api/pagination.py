"""Pagination of the store's API lists."""

from django.core.paginator import InvalidPage
from rest_framework.exceptions import NotFound
from rest_framework.pagination import PageNumberPagination


class CachedPagePagination(PageNumberPagination):
    """The settings' page-number pagination, for a list whose rendered pages may come from the
    cache: `paginate_cached` places a cached page (its number and the list's count, both read
    when it was rendered) so that `get_paginated_response` builds this request's `next` and
    `previous` links as for a fresh page, without a query."""

    def paginate_cached(self, request, *, count: int) -> None:
        self.request = request
        # No rows: the page's rows are cached already, only its position is needed.
        paginator = self.django_paginator_class((), self.get_page_size(request))
        paginator.count = count  # a cached_property, set instead of counted
        page_number = self.get_page_number(request, paginator)
        try:
            self.page = paginator.page(page_number)
        except InvalidPage as exc:
            message = self.invalid_page_message.format(page_number=page_number, message=exc)
            raise NotFound(message) from exc
