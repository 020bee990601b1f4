"""kerasgen models."""
from kerasgen.models.base import GenerativeModel  # noqa: F401
