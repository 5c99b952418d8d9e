from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from tiercare.core import views

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    # Django's own view: checks the old password, validates the new one, keeps this session signed in; saving the
    # user revokes every API token (User.save).
    path(
        "account/password/",
        auth_views.PasswordChangeView.as_view(success_url=reverse_lazy("tokens")),
        name="password_change",
    ),
    path("account/tokens/", views.tokens, name="tokens"),
    path("account/tokens/<str:token_id>/revoke/", views.token_revoke, name="token_revoke"),
    path("account/tokens/revoke-all/", views.token_revoke_all, name="token_revoke_all"),
]
