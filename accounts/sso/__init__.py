"""Single sign-on through django-allauth: OIDC and GitHub configured from CODER_* settings."""
