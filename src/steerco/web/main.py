"""The ASGI application object for uvicorn (`steerco.web.main:app`)."""

from steerco.web.app import create_app

app = create_app(warm=True)
