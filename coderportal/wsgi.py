"""WSGI entry point (the ASGI one in asgi.py is what `serve` runs)."""
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coderportal.settings")
application = get_wsgi_application()
