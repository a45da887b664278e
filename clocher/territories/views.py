from django.http import HttpResponse
from django.shortcuts import render

from .http import PortalRequest


def home(request: PortalRequest) -> HttpResponse:
    return render(request, "territories/home.html", {})
