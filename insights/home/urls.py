"""Routes of the staff home, appended to `insights.urls` (namespace `insights`, under
/admin/insights/)."""

from django.contrib import admin
from django.urls import path

from insights.home import views

urlpatterns = [
    path("home/", admin.site.admin_view(views.home), name="home"),
    path("home/charts/<slug:name>.json", admin.site.admin_view(views.chart), name="home-chart"),
]
