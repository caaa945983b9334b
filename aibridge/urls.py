"""Routes under /api/v2: the interceptions list first, then the gateway catch-all."""
from django.urls import path

from aibridge import api, views

urlpatterns = [
    path("aibridge/interceptions", api.InterceptionListView.as_view()),
    path("aibridge/<path:rest>", views.gateway),
]
