app_name = "consults"
urlpatterns: list = []
