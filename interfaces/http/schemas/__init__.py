"""Request and response shapes of API.md, as marshmallow schemas (and so OpenAPI):
one module per resource, their fields and base classes in ``common``. The class
names are the OpenAPI document's component names."""
