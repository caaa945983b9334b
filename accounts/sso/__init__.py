"""Single sign-on through django-allauth: OIDC and GitHub configured from CODER_* settings.

- `sso_settings`: SOCIALACCOUNT_PROVIDERS from the environment (imported by settings.py);
- `policy`: pure login rules (email domains, claim mapping, GitHub allow-lists);
- `login_flow`: admission, user creation/linking, group and role sync per login;
- `adapter`: allauth adapters wiring the above; `session`: API cookie, login audit, logout;
- `github`, `usernames`, `role_sync`: helpers.

Callback URLs to register at the identity provider:
  OIDC   <access URL>/accounts/oidc/oidc/login/callback/
  GitHub <access URL>/accounts/github/login/callback/
"""
