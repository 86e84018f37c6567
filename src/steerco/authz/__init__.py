"""Where each entity sits for authorization (its org unit and owners): the map the
domains' routes use with the principal's grants. It knows every domain, so it sits beside
them, never in the domain-free HTTP foundation."""
