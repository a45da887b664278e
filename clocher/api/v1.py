"""The public REST API, version 1 (OpenAPI document at /api/v1/openapi.json, docs at /api/v1/docs)."""

from ninja import NinjaAPI

api = NinjaAPI(
    title="Clocher API",
    version="1.0.0",
    description="L'API publique de Clocher : territoires, et ce que chaque module publie.",
    urls_namespace="api-v1",
)
