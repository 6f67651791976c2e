"""The chat widget (support.views), included under /support/ by config.urls."""

from django.urls import path

from support import views

app_name = "support"

urlpatterns = [
    path("login/", views.WidgetLoginView.as_view(), name="login"),
    path("chat/", views.chat, name="chat"),
    path("chat/new/", views.chat_new, name="chat-new"),
    path("chat/<int:pk>/messages/", views.chat_messages, name="chat-messages"),
    path("chat/<int:pk>/send/", views.chat_send, name="chat-send"),
    path("chat/<int:pk>/messages/<int:message_id>/rate/", views.chat_rate_message,
         name="chat-rate-message"),
    path("chat/<int:pk>/rate/", views.chat_rate, name="chat-rate"),
]  # fmt: skip
