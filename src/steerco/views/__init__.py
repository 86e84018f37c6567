"""Read models of the pages: repository functions that return exactly what a page shows.

The pages (steerco.web.pages) compose many domains and never build a query; every
`select` they need lives here, one module per page group, each query scoped to the
workspace like the domains' repositories. `Session` is re-exported for the pages' type
hints so that they need not import SQLAlchemy at all.
"""

from sqlalchemy.orm import Session

__all__ = ["Session"]
