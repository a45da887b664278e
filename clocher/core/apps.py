from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "clocher.core"
    label = "core"
