"""WebSocket routes, all under /ws/. Apps add theirs here as they gain consumers."""

from django.urls import URLPattern

websocket_urlpatterns: list[URLPattern] = []
