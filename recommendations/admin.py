"""Admin of recommendations: the inspector (a customer's history and every list with reasons
and scores, the champion's offline metrics against the baselines), precomputed lists and the
storefront's list feedback with its online report."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path, reverse

from ml.selectors import alias_get
from recommendations import selectors, serving
from recommendations.models import ListEvent, PersonalList
from shop import selectors as shop_selectors
from shop.paginators import EstimatedCountPaginator

INSPECT_PERMISSION = "recommendations.view_personallist"
METRIC_COLUMNS = (
    "hr@10",
    "ndcg@10",
    "hr@20",
    "ndcg@20",
    "mrr",
    "coverage@20",
    "popularity_bias@20",
    "train_s",
    "fusion_weight",
)
EXPOSURE_KEYS = (("exposure@20", "Category"), ("exposure_price@20", "Price tier"))


def exposure_tables(models: dict[str, dict]) -> list[dict]:
    """Per grouping (category, price tier): each group's catalogue share and, per recommender,
    its share of the top-20 slots over that (1.0 = shown as often as the catalogue holds it)."""
    tables = []
    for key, title in EXPOSURE_KEYS:
        names = [name for name, metrics in models.items() if key in metrics]
        if not names:
            continue
        groups = sorted({group for name in names for group in models[name][key]})
        rows = []
        for group in groups:
            cells = [models[name][key].get(group, {}) for name in names]
            share = next((c["catalogue_share"] for c in cells if "catalogue_share" in c), None)
            rows.append({"group": group, "share": share, "ratios": [c.get("ratio") for c in cells]})
        tables.append({"title": title, "recommenders": names, "rows": rows})
    return tables


def inspector_context(customer_id: int | None, session_id: str = "") -> dict:
    """What the inspector shows for one shopper (or only the model when none is picked)."""
    champion = alias_get(task=selectors.RECS_TASK)
    context: dict = {"champion": champion, "customer_id": customer_id, "session_id": session_id}
    if champion is not None:
        models = (champion.version.metrics or {}).get("models", {})
        context["evaluation"] = [
            {"name": name, "values": [models[name].get(column) for column in METRIC_COLUMNS]}
            for name in models
        ]
        context["evaluation_users"] = (champion.version.metrics or {}).get("users")
        context["exposure"] = exposure_tables(models)
    context["metric_columns"] = METRIC_COLUMNS
    if customer_id is None and not session_id:
        context["lists"] = [serving.render(serving.trending(10))]
        return context
    history_ids: list[int] = []
    lists = [serving.render(serving.for_you(10, customer_id=customer_id, session_id=session_id))]
    try:
        served = serving.champion_bundle()
        history = selectors.shopper_history(
            catalogue=served.model.catalogue, customer_id=customer_id, session_id=session_id
        )
        history_ids = [served.model.catalogue.product_id(i) for i in history]
    except Exception:  # no champion: the lists above already say so
        history = []
    if history_ids:
        lists.append(serving.render(serving.similar(history_ids[-1], 10)))
        lists.append(serving.render(serving.bought_together(history_ids[-1], 10)))
    lists.append(serving.render(serving.trending(10)))
    products = shop_selectors.products_by_ids(product_ids=history_ids)
    context["history"] = [products[pk] for pk in reversed(history_ids) if pk in products]
    context["lists"] = lists
    return context


class ListVersionFilter(admin.RelatedFieldListFilter):
    """The recommendation versions that made lists, one index probe per version: the
    related-only filter's DISTINCT over the lists took 176 ms of a 393 ms page with a
    million of them (a one-off timing on benchmarks/scale_data.py's full-size store,
    2026-11-30)."""

    def field_choices(self, field, request, model_admin):
        return [(version.pk, str(version)) for version in selectors.versions_with_lists()]


@admin.register(PersonalList)
class PersonalListAdmin(admin.ModelAdmin):
    change_list_template = "recommendations/personallist_change_list.html"
    list_display = ["customer", "model_version", "item_count", "computed_at"]
    list_select_related = ["customer", "model_version"]
    list_filter = [("model_version", ListVersionFilter)]
    search_fields = ["=customer__external_id", "customer__email"]
    raw_id_fields = ["customer"]
    show_full_result_count = False
    paginator = EstimatedCountPaginator  # a list per customer: millions on a large store

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="items")
    def item_count(self, obj: PersonalList) -> int:
        return len(obj.items)

    def get_urls(self):
        custom = [
            path(
                "inspector/",
                self.admin_site.admin_view(self.inspector_view),
                name="recommendations_inspector",
            )
        ]
        return custom + super().get_urls()

    def inspector_view(self, request):
        if not request.user.has_perm(INSPECT_PERMISSION):
            raise PermissionDenied
        raw = (request.GET.get("customer") or "").strip()
        customer_id = int(raw) if raw.isdigit() and len(raw) < 19 else None
        error = ""
        if raw and (
            customer_id is None or not shop_selectors.customer_exists(customer_id=customer_id)
        ):
            error = f"No customer with id {raw!r}."
            customer_id = None
        session_id = (request.GET.get("session") or "").strip()[:64]
        context = {
            **self.admin_site.each_context(request),
            **inspector_context(customer_id, session_id),
            "title": "Recommendation inspector",
            "error": error,
            "train_url": reverse("admin:ml_job_add") + "?kind=recommendations_train",
            "registry_url": reverse("admin:ml_modelversion_task", args=[selectors.RECS_TASK]),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "recommendations/inspector.html", context)


@admin.register(ListEvent)
class ListEventAdmin(admin.ModelAdmin):
    change_list_template = "recommendations/listevent_change_list.html"
    list_display = ["occurred_at", "kind", "list_type", "position", "product", "customer",
                    "session_id", "model_version"]  # fmt: skip
    list_select_related = ["product", "customer", "model_version"]
    list_filter = ["kind", "list_type", ("model_version", admin.RelatedOnlyFieldListFilter)]
    date_hierarchy = "occurred_at"
    raw_id_fields = ["product", "customer"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        extra = {"report": selectors.list_report(), **(extra_context or {})}
        return super().changelist_view(request, extra_context=extra)
