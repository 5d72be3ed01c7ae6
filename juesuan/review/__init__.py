"""Human review of extracted tables (``juesuan review``): a local web app, its store, and the corrections log."""
