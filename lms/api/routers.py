from rest_framework.routers import SimpleRouter

# The one router under /api/v1/. Each app's api/urls.py registers its viewsets here.
api_router = SimpleRouter(trailing_slash=True)
