from django.http import HttpRequest, JsonResponse


def healthz(request: HttpRequest) -> JsonResponse:
    """A few bytes of JSON for load balancers; also the floor the benchmarks compare pages with."""
    return JsonResponse({"status": "ok"})
