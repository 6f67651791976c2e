"""Admin of the store.

List pages compute their aggregate columns by annotation in `get_queryset` and follow foreign
keys with `list_select_related`, so a changelist runs the same number of queries whatever the
number of rows. Writes that have a service (issuing API keys) go through it.
"""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.db.models import Avg, Count, DecimalField, FloatField, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.forms.models import BaseInlineFormSet
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.functional import lazy
from django.utils.html import format_html

from shop.admin_filters import DistinctValuesFilter
from shop.exports import attr, export_action
from shop.models import ApiKey, Category, Customer, Event, Order, OrderItem, Product, Review
from shop.paginators import EstimatedCountPaginator


def _store_name() -> str:
    return settings.STORE_NAME


# The header and title follow STORE_NAME at render time (lazy), so settings overrides apply.
admin.site.site_header = lazy(lambda: f"{_store_name()} back office", str)()
admin.site.site_title = lazy(_store_name, str)()
admin.site.index_title = "Back office"

# Orders in these states did not turn into revenue; the others count as the customer's spend.
NOT_SPENT_STATUSES = (Order.Status.CANCELLED, Order.Status.RETURNED)
SPENT_STATUSES = [status for status in Order.Status.values if status not in NOT_SPENT_STATUSES]
LATEST_REVIEWS_SHOWN = 20


def _per_row(model, fk: str, aggregate, *, output_field=None, default=None, **filters):
    """One aggregate over a related model as a correlated subquery.

    A subquery instead of a join with GROUP BY: the changelist's COUNT and its filters'
    queries stay plain (Django drops unused annotations there), and only the rows of the
    shown page pay for the aggregate.
    """
    rows = (
        model.objects.filter(**{fk: OuterRef("pk")}, **filters)
        .order_by()
        .values(fk)
        .annotate(value=aggregate)
        .values("value")
    )
    value = Subquery(rows, output_field=output_field)
    return value if default is None else Coalesce(value, default)


def _money(amount, currency: str) -> str:
    if amount is None:
        return "—"
    return f"{number_format(amount, decimal_pos=2, force_grouping=True)} {currency}"


# --- Catalogue ---------------------------------------------------------------------------


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "path", "slug", "product_count"]
    list_select_related = ["parent__parent"]
    list_filter = [("parent", admin.EmptyFieldListFilter)]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["parent"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(num_products=_per_row(Product, "category", Count("pk"), default=0))
        )

    @admin.display(description="Place in tree")
    def path(self, obj: Category) -> str:
        # Up to two ancestors come from list_select_related; deeper ones are elided, not queried.
        names = [obj.name]
        node = obj
        for _ in range(2):
            if node.parent_id is None:
                break
            node = node.parent
            names.append(node.name)
        if node.parent_id is not None:
            names.append("…")
        return " › ".join(reversed(names))

    @admin.display(description="Products", ordering="num_products")
    def product_count(self, obj: Category) -> int:
        return obj.num_products


class LatestReviewsFormSet(BaseInlineFormSet):
    """Only the newest reviews: a popular product would otherwise render thousands of forms."""

    def get_queryset(self):
        if not hasattr(self, "_latest"):
            self._latest = super().get_queryset().order_by("-created_at")[:LATEST_REVIEWS_SHOWN]
        return self._latest


class ReviewInline(admin.TabularInline):
    model = Review
    formset = LatestReviewsFormSet
    fields = ["customer", "rating", "title", "created_at"]
    autocomplete_fields = ["customer"]
    extra = 0
    show_change_link = True
    verbose_name_plural = f"Reviews (newest {LATEST_REVIEWS_SHOWN})"


class StockFilter(admin.SimpleListFilter):
    title = "stock"
    parameter_name = "stock"

    def lookups(self, request, model_admin):
        return [("out", "Out of stock"), ("in", "In stock")]

    def queryset(self, request, queryset):
        if self.value() == "out":
            return queryset.filter(stock__lte=0)
        if self.value() == "in":
            return queryset.filter(stock__gt=0)
        return queryset


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    actions = [
        export_action(
            [
                ("sku", attr("sku")),
                ("title", attr("title")),
                ("category", attr("category__name")),
                ("price", attr("price")),
                ("currency", attr("currency")),
                ("stock", attr("stock")),
                ("is_active", attr("is_active")),
                ("description", attr("description")),
            ],
            select_related=["category"],
        )
    ]
    # The insights panel (sentiment, aspects, summary) loads into the change form with htmx.
    change_form_template = "insights/aspects/product_change_form.html"
    list_display = [
        "title",
        "sku",
        "category",
        "price_display",
        "stock",
        "is_active",
        "reviews_count",
        "rating_avg",
    ]
    list_select_related = ["category"]
    list_filter = ["is_active", StockFilter, ("category", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["=sku", "title", "category__name"]
    autocomplete_fields = ["category"]
    readonly_fields = ["review_count", "rating_average", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["sku", "title", "category", "description", "is_active"]}),
        ("Price, cost and stock", {"fields": ["price", "unit_cost", "currency", "stock"]}),
        ("Attributes", {"fields": ["attributes"], "classes": ["collapse"]}),
        (
            "Stored aggregates (recomputed by the rating job)",
            {"fields": ["review_count", "rating_average", "created_at", "updated_at"]},
        ),
    ]
    inlines = [ReviewInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                num_reviews=_per_row(Review, "product", Count("pk"), default=0),
                avg_rating=_per_row(Review, "product", Avg("rating"), output_field=FloatField()),
            )
        )

    @admin.display(description="Price", ordering="price")
    def price_display(self, obj: Product) -> str:
        return _money(obj.price, obj.currency)

    @admin.display(description="Reviews", ordering="num_reviews")
    def reviews_count(self, obj: Product) -> int:
        return obj.num_reviews

    @admin.display(description="Average rating", ordering="avg_rating")
    def rating_avg(self, obj: Product) -> str:
        return "—" if obj.avg_rating is None else f"{obj.avg_rating:.2f}"


# --- Customers and orders ----------------------------------------------------------------


class CustomerCountryFilter(DistinctValuesFilter):
    title = "country"
    parameter_name = "country"
    field = "country"  # the customer_country index


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    actions = [
        export_action(
            [
                ("external_id", attr("external_id")),
                ("email", attr("email")),
                ("name", attr("name")),
                ("country", attr("country")),
                ("marketing_consent", attr("marketing_consent")),
                ("created_at", attr("created_at")),
            ]
        )
    ]
    # The insights panel (segment, churn risk, expected value) loads into the change form with htmx;
    # the privacy template adds the export and erase buttons to it.
    change_form_template = "admin/shop/customer/privacy_change_form.html"
    list_display = [
        "__str__",
        "email",
        "external_id",
        "country",
        "marketing_consent",
        "orders_link",
        "spend",
    ]
    list_filter = ["marketing_consent", "profiling_consent", CustomerCountryFilter, "created_at"]
    search_fields = ["name", "=email", "=external_id"]
    raw_id_fields = ["user"]
    readonly_fields = ["created_at", "erased_at"]
    # A million customers: estimate the unfiltered count, skip the second count of a filtered
    # list, and read the countries from their index (see EventAdmin).
    paginator = EstimatedCountPaginator
    show_full_result_count = False

    def get_urls(self):
        from django.urls import path

        from shop.privacy import admin_views

        def page(view):
            return self.admin_site.admin_view(
                lambda request, object_id: view(request, model_admin=self, object_id=object_id)
            )

        return [
            path(
                "<path:object_id>/export/",
                page(admin_views.customer_export_view),
                name="shop_customer_export",
            ),
            path(
                "<path:object_id>/erase/",
                page(admin_views.customer_erase_view),
                name="shop_customer_erase",
            ),
            *super().get_urls(),
        ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                num_orders=_per_row(Order, "customer", Count("pk"), default=0),
                total_spend=_per_row(
                    Order,
                    "customer",
                    Sum("total"),
                    output_field=DecimalField(max_digits=14, decimal_places=2),
                    status__in=SPENT_STATUSES,
                ),
            )
        )

    @admin.display(description="Orders", ordering="num_orders")
    def orders_link(self, obj: Customer) -> str:
        url = reverse("admin:shop_order_changelist") + f"?customer__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, obj.num_orders)

    @admin.display(description="Total spend", ordering="total_spend")
    def spend(self, obj: Customer) -> str:
        # Orders are in the store currency; cancelled and returned orders are not spend.
        return _money(obj.total_spend or 0, settings.STORE_CURRENCY)


class OrderItemInline(admin.TabularInline):
    model = OrderItem
    fields = ["product", "quantity", "unit_price", "line_total_display"]
    readonly_fields = ["line_total_display"]
    autocomplete_fields = ["product"]
    extra = 0

    @admin.display(description="Line total")
    def line_total_display(self, obj: OrderItem) -> str:
        if obj.pk is None:
            return "—"
        return number_format(obj.line_total, decimal_pos=2, force_grouping=True)


class OrderCurrencyFilter(DistinctValuesFilter):
    title = "currency"
    parameter_name = "currency"
    field = "currency"  # first column of the order_currency_placed index


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    actions = [
        export_action(
            [
                ("order_number", attr("number")),
                ("customer_id", attr("customer__external_id")),
                ("status", attr("status")),
                ("total", attr("total")),
                ("currency", attr("currency")),
                ("country", attr("country")),
                ("placed_at", attr("placed_at")),
            ],
            select_related=["customer"],
        )
    ]
    list_display = [
        "number",
        "customer",
        "status",
        "item_count",
        "total_display",
        "country",
        "placed_at",
    ]
    list_select_related = ["customer"]
    list_filter = ["status", "placed_at", OrderCurrencyFilter]
    search_fields = ["=number", "customer__name", "=customer__email", "=customer__external_id"]
    autocomplete_fields = ["customer"]
    # Hundreds of thousands of orders: estimate the unfiltered count, skip the second count
    # of a filtered list; dates are filtered by the placed_at ranges, not a date hierarchy
    # (a DISTINCT over the table for its year and month links; see EventAdmin).
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    inlines = [OrderItemInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(num_items=_per_row(OrderItem, "order", Count("pk"), default=0))
        )

    @admin.display(description="Items", ordering="num_items")
    def item_count(self, obj: Order) -> int:
        return obj.num_items

    @admin.display(description="Total", ordering="total")
    def total_display(self, obj: Order) -> str:
        return _money(obj.total, obj.currency)


@admin.register(OrderItem)
class OrderItemAdmin(admin.ModelAdmin):
    list_display = ["order", "product", "quantity", "unit_price", "line_total"]
    list_select_related = ["order", "product"]
    search_fields = ["=order__number", "=product__sku", "product__title"]
    autocomplete_fields = ["order", "product"]

    @admin.display(description="Line total")
    def line_total(self, obj: OrderItem) -> str:
        return number_format(obj.line_total, decimal_pos=2, force_grouping=True)


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    actions = [
        export_action(
            [
                ("product_sku", attr("product__sku")),
                ("customer_id", attr("customer__external_id")),
                ("rating", attr("rating")),
                ("title", attr("title")),
                ("text", attr("text")),
                ("created_at", attr("created_at")),
            ],
            select_related=["product", "customer"],
        )
    ]
    list_display = ["product", "customer", "rating", "title", "created_at"]
    list_select_related = ["product", "customer"]
    list_filter = ["rating", "created_at"]
    search_fields = ["title", "text", "=product__sku", "product__title", "=customer__email"]
    date_hierarchy = "created_at"
    autocomplete_fields = ["product", "customer"]


# --- Behaviour events --------------------------------------------------------------------


class EventSourceFilter(DistinctValuesFilter):
    title = "source"
    parameter_name = "source"
    field = "source"  # first column of the event_source_time index


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    """Read-only: events are written by the storefront through the API.

    The table is the store's largest (ten million rows at scale), so the list runs no query
    that reads all of it: the unfiltered count is PostgreSQL's estimate, dates are filtered
    by fixed ranges rather than a date hierarchy (whose year and month links each need a
    DISTINCT over the table), and the sources are read from an index.
    """

    list_display = ["occurred_at", "kind", "customer", "session_id", "product", "query", "source"]
    list_select_related = ["customer", "product"]
    list_filter = ["kind", EventSourceFilter, ("occurred_at", admin.DateFieldListFilter)]
    search_fields = ["=session_id", "query", "=customer__external_id", "=product__sku"]
    paginator = EstimatedCountPaginator
    # Skip the second, unfiltered count a filtered changelist would run on every page.
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- API keys ----------------------------------------------------------------------------


class ApiKeyCreateForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        choices=ApiKey.Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="What the storefront may do with this key.",
    )

    class Meta:
        model = ApiKey
        fields = ["name", "scopes"]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Keys are issued by `shop.services.api_key_issue`; the raw key is shown once."""

    list_display = ["name", "prefix", "scope_list", "is_active", "created_by", "last_used_at"]
    list_select_related = ["created_by"]
    list_filter = ["is_active"]
    search_fields = ["name", "=prefix"]
    actions = ["revoke"]
    change_fields = [
        "name",
        "prefix",
        "scope_list",
        "is_active",
        "created_by",
        "created_at",
        "last_used_at",
    ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ApiKeyCreateForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        return ["name", "scopes"] if obj is None else self.change_fields

    def get_readonly_fields(self, request, obj=None):
        # An issued key is immutable here; revoking is the one change, through the action.
        return [] if obj is None else self.change_fields

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        if change:
            return
        from shop.services import api_key_issue

        issued, raw_key = api_key_issue(
            name=form.cleaned_data["name"],
            scopes=list(form.cleaned_data["scopes"]),
            created_by=request.user,
        )
        # The admin goes on with `obj` (log entry, redirect): make it the issued row.
        obj.pk = issued.pk
        obj.refresh_from_db()
        obj._state.adding = False
        messages.warning(
            request,
            format_html(
                "The key is <code>{}</code> — copy it now: it is stored only as a hash and "
                "will not be shown again.",
                raw_key,
            ),
        )

    @admin.display(description="Scopes")
    def scope_list(self, obj: ApiKey) -> str:
        return ", ".join(obj.scopes) or "—"

    @admin.action(description="Revoke selected API keys", permissions=["change"])
    def revoke(self, request, queryset):
        from shop.services import api_key_revoke

        revoked = 0
        for api_key in queryset.filter(is_active=True):
            api_key_revoke(api_key=api_key)
            revoked += 1
        self.message_user(request, f"Revoked {revoked} API key(s).", messages.SUCCESS)
