from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from cases.forms import LoginForm

from . import views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True, authentication_form=LoginForm), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("api/v1/external/", include("workflows.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    # Pages outside base.html (admin, API docs) let the browser ask for /favicon.ico.
    path("favicon.ico", RedirectView.as_view(url=f"{settings.STATIC_URL}favicon.svg", permanent=True)),
    # The demo's sandbox vendor (automation.sandbox): it answers 404 unless DEBUG is on.
    path("sandbox/vendor/", include("automation.sandbox")),
    path("", include("documents.urls")),
    path("", include("cases.urls")),
]

handler404 = views.not_found
handler500 = views.server_error
handler400 = views.bad_request
handler403 = views.permission_denied
