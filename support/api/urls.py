"""Routes of the support chat API, included under /api/v1/ by config.api_urls."""

from django.urls import path

from support.api import views

app_name = "support-api"

urlpatterns = [
    path("support/conversations/", views.ConversationStartView.as_view(), name="start"),
    path(
        "support/conversations/<id:pk>/messages/",
        views.ConversationMessagesView.as_view(),
        name="messages",
    ),
    path(
        "support/conversations/<id:pk>/messages/<id:message_id>/rating/",
        views.MessageRatingView.as_view(),
        name="message-rating",
    ),
    path(
        "support/conversations/<id:pk>/rating/",
        views.ConversationRatingView.as_view(),
        name="rating",
    ),
]
