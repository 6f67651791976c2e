"""Views of the staff insights API on sales forecasts and reorder suggestions: each parses
input, calls one selector, and renders."""

from dataclasses import asdict

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from insights.api.forecast_serializers import (
    CampaignLiftOutputSerializer,
    ForecastDetailSerializer,
    ForecastListOutputSerializer,
    ForecastListQuerySerializer,
    ReorderListOutputSerializer,
    ReorderQuerySerializer,
)
from insights.exceptions import ForecastNotFound
from insights.models import SalesForecast
from insights.selectors import campaign_effect
from insights.selectors import forecasts as selectors
from shop.api.permissions import IsStaff

VIEW_FORECASTS_PERMISSION = "insights.view_salesforecast"
UNAUTHENTICATED = OpenApiResponse(description="No or invalid credentials.")
FORBIDDEN = OpenApiResponse(
    description="Not staff, or lacking the insights.view_salesforecast permission."
)
BAD_INPUT = OpenApiResponse(description="Invalid query parameters (field errors).")
STAFF_AUTH = [{"tokenAuth": []}, {"cookieAuth": []}]


class CanViewForecasts(BasePermission):
    message = "Sales forecasts need the insights.view_salesforecast permission."

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.has_perm(VIEW_FORECASTS_PERMISSION))


class ForecastListView(APIView):
    permission_classes = [IsStaff, CanViewForecasts]

    @extend_schema(
        tags=["insights"],
        summary="List sales forecasts",
        auth=STAFF_AUTH,
        description="The latest run's forecast of units sold for every product and category "
        "that has sold (filter with `kind`): per period the point forecast, 80% and 95% "
        "prediction intervals and a peak/trough flag, with the model chosen by "
        "cross-validation and every candidate's cross-validated MASE. Empty before the first "
        "run (nightly `sales_forecast` job).",
        parameters=[ForecastListQuerySerializer],
        responses={
            200: ForecastListOutputSerializer,
            400: BAD_INPUT,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
        },
    )
    def get(self, request):
        query = ForecastListQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        run = selectors.forecast_run_latest()
        forecasts = selectors.forecast_list(kind=query.validated_data.get("kind"), run=run)
        return Response(ForecastListOutputSerializer({"run": run, "results": forecasts}).data)


class _ForecastDetailView(APIView):
    permission_classes = [IsStaff, CanViewForecasts]
    kind = ""

    def detail(self, target_id: int) -> Response:
        forecast = selectors.forecast_for(kind=self.kind, target_id=target_id)
        if forecast is None:
            raise ForecastNotFound(
                f"No forecast for {self.kind} {target_id}: it does not exist, has never sold, "
                "or no forecast has run yet."
            )
        return Response(ForecastDetailSerializer(forecast).data)


def _detail_schema(kind: str):
    return extend_schema(
        tags=["insights"],
        summary=f"A {kind}'s sales forecast",
        auth=STAFF_AUTH,
        description=f"The latest run's forecast of the {kind} with the recent history it was "
        f"fitted on. 404 `forecast_not_found` for an unknown {kind} or one without a forecast.",
        parameters=[
            OpenApiParameter(
                f"{kind}_id", OpenApiTypes.INT, OpenApiParameter.PATH, description=f"The {kind}."
            )
        ],
        responses={
            200: ForecastDetailSerializer,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: OpenApiResponse(description="No forecast for it."),
        },
    )


class ProductForecastView(_ForecastDetailView):
    kind = SalesForecast.Kind.PRODUCT

    @_detail_schema("product")
    def get(self, request, product_id: int):
        return self.detail(product_id)


class CategoryForecastView(_ForecastDetailView):
    kind = SalesForecast.Kind.CATEGORY

    @_detail_schema("category")
    def get(self, request, category_id: int):
        return self.detail(category_id)


class ReorderSuggestionListView(APIView):
    permission_classes = [IsStaff, CanViewForecasts]

    @extend_schema(
        tags=["insights"],
        summary="Reorder suggestions",
        auth=STAFF_AUTH,
        description="For every active product with a forecast: expected demand over its lead "
        "time and its spread, safety stock, reorder point, order-up-to level, the quantity "
        "to order now, the probability of running out over the lead time and the days the "
        "stock lasts, most at risk first (formulas: insights.forecast_engine.stock). Stock "
        "and lead times are read now; the forecast is the latest run's.",
        parameters=[ReorderQuerySerializer],
        responses={
            200: ReorderListOutputSerializer,
            400: BAD_INPUT,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
        },
    )
    def get(self, request):
        query = ReorderQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        rows = selectors.reorder_suggestion_list(
            service_level=query.validated_data.get("service_level"),
            at_risk_only=query.validated_data["at_risk"],
        )
        results = [
            {
                **asdict(suggestion),
                "at_risk": suggestion.at_risk,
                "product_id": forecast.product_id,
                "sku": forecast.product.sku,
                "title": forecast.product.title,
                "model": forecast.model,
            }
            for forecast, suggestion in rows
        ]
        run = selectors.forecast_run_latest()
        return Response(ReorderListOutputSerializer({"run": run, "results": results}).data)


class CampaignLiftView(APIView):
    permission_classes = [IsStaff, CanViewForecasts]

    @extend_schema(
        tags=["insights"],
        summary="A finished campaign's incremental units and revenue",
        auth=STAFF_AUTH,
        description="Difference in differences on products: the change in units and revenue "
        "of the campaign's products (its target products, else its category's) from the "
        "same number of days before the campaign to the campaign, minus the change of the "
        "other products, per campaign product and in total, with 95% intervals (Welch). "
        "404 `campaign_not_found`; 409 `campaign_lift_unavailable` while the campaign runs "
        "or when fewer than two campaign or other products sold.",
        parameters=[
            OpenApiParameter(
                "campaign_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The campaign."
            )
        ],
        responses={
            200: CampaignLiftOutputSerializer,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: OpenApiResponse(description="No such campaign."),
            409: OpenApiResponse(description="Not measurable (yet)."),
        },
    )
    def get(self, request, campaign_id: int):
        result = campaign_effect.campaign_lift(campaign_id=campaign_id)
        units = result["units"]
        payload = {
            "campaign_id": campaign_id,
            "design": units.design,
            "before_start": result["before"][0],
            "before_end": result["before"][1],
            "during_start": result["during"][0],
            "during_end": result["during"][1],
            "campaign_products": units.treated,
            "control_products": units.control,
            "units": units,
            "revenue": result["revenue"],
            "assumption": result["assumption"],
        }
        return Response(CampaignLiftOutputSerializer(payload).data)
