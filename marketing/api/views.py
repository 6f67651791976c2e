"""The storefront's ad variants and ad events, and the campaign report (staff)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from marketing import selectors, services
from marketing.api.permissions import CanReadAds, CanReportAdEvents, CanViewCampaigns
from marketing.api.serializers import (
    AdChoiceSerializer,
    AdEventBatchSerializer,
    AdQuerySerializer,
    CampaignReportSerializer,
)

BAD_REQUEST = OpenApiResponse(description="Invalid input; the body lists the errors per field.")
UNAUTHENTICATED = OpenApiResponse(description="No or invalid credentials.")
FORBIDDEN = OpenApiResponse(description="The caller lacks the role or API-key scope.")
STOREFRONT_AUTH = [{"ApiKeyAuth": []}, {"tokenAuth": []}, {"cookieAuth": []}]


def render_choice(choice: selectors.AdChoice) -> dict:
    variant = choice.variant
    campaign = variant.campaign if variant is not None else choice.holdout_campaign
    return {
        "placement": choice.placement,
        "served": choice.served,
        "campaign": campaign.pk if campaign is not None else None,
        "product": choice.product_id,
        "variant": variant,
    }


class AdChoiceView(APIView):
    permission_classes = [CanReadAds]

    @extend_schema(
        tags=["ads"],
        summary="The ad variant to show at a placement",
        auth=STOREFRONT_AUTH,
        description="One approved variant of a running campaign, chosen by Thompson sampling "
        "on conversions per impression among the variants that fit the product; or the "
        "campaign's holdout (show no ad) for the configured share of shoppers, the same "
        "shopper always in the same arm; or `served: none` when no approved variant fits. "
        "Report impressions and clicks to `/api/v1/ads/events/` with the ids returned.",
        parameters=[
            OpenApiParameter(
                "placement",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                description="Slug (letters, digits, hyphens, underscores).",
                pattern=r"^[-a-zA-Z0-9_]+$",
            ),
            AdQuerySerializer,
        ],
        responses={
            200: AdChoiceSerializer,
            400: BAD_REQUEST,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: OpenApiResponse(description="The placement is not a slug."),
        },
    )
    def get(self, request, placement: str):
        query = AdQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        choice = selectors.ad_choose(
            placement=placement,
            product_id=params.get("product"),
            customer_id=params.get("customer"),
            session_id=params.get("session", ""),
        )
        return Response(AdChoiceSerializer(render_choice(choice)).data)


class AdEventsView(APIView):
    permission_classes = [CanReportAdEvents]

    @extend_schema(
        tags=["ads"],
        summary="Report impressions and clicks of ad variants and holdouts",
        auth=[{"ApiKeyAuth": []}, {"tokenAuth": []}, {"cookieAuth": []}],
        description="Up to 1,000 events; all are saved or, on any error, none (the errors are "
        "listed by row). Conversions are attributed from orders (an order of the product by "
        "the clicking customer within 7 days), never reported.",
        request=AdEventBatchSerializer,
        responses={
            201: OpenApiResponse(description="Saved; the body says how many."),
            400: BAD_REQUEST,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
        },
    )
    def post(self, request):
        batch = AdEventBatchSerializer(data=request.data)
        batch.is_valid(raise_exception=True)
        saved = services.ad_event_create_batch(events=batch.validated_data["events"])
        return Response({"saved": saved}, status=status.HTTP_201_CREATED)


class CampaignReportView(APIView):
    permission_classes = [CanViewCampaigns]

    @extend_schema(
        tags=["marketing"],
        summary="A campaign's variant test report",
        auth=[{"tokenAuth": []}, {"cookieAuth": []}],
        description="Per variant: impressions, clicks, CTR, conversions and revenue (last "
        "click within 7 days), conversion rate per impression with its 95% credible interval "
        "and the probability of being best; and the lift of the ads over the holdout.",
        parameters=[
            OpenApiParameter(
                "campaign_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Campaign."
            )
        ],
        responses={
            200: CampaignReportSerializer,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: OpenApiResponse(description="No such campaign."),
        },
    )
    def get(self, request, campaign_id: int):
        campaign = selectors.campaign_get(campaign_id=campaign_id)
        if campaign is None:
            raise NotFound("No such campaign.")
        report = selectors.campaign_report(campaign=campaign)
        return Response(CampaignReportSerializer(report).data)
