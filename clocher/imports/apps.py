from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "clocher.imports"
    label = "imports"
