"""The HTTP foundation every domain's routes stand on: the error shape, authentication
dependencies, request helpers (paths, ETags, paging, sorting, filters), the item routes
and the list-page cache. Domain-free: it sits below the domains, the web pages above."""
