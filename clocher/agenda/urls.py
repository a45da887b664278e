from django.urls import URLPattern, URLResolver

app_name = "agenda"
urlpatterns: list[URLPattern | URLResolver] = []
