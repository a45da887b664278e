"""The public REST API, version 1 (OpenAPI document at /api/v1/openapi.json, docs at /api/v1/docs).

Each domain keeps its endpoints in a router of its own module (clocher/api/<domain>.py), added here.
"""

from ninja import NinjaAPI

from .events import router as events_router
from .news import router as news_router
from .places import router as places_router
from .territories import router as territories_router

api = NinjaAPI(
    title="Clocher API",
    version="1.0.0",
    description="L'API publique de Clocher : territoires, et ce que chaque module publie.",
    urls_namespace="api-v1",
)

api.add_router("/territories", territories_router)
api.add_router("", places_router)
api.add_router("", events_router)
api.add_router("", news_router)
