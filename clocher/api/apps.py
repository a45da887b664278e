from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "clocher.api"
    label = "api"
