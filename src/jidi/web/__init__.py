"""The web entry points: the FastAPI app, its middleware, error pages and shared page helpers."""
