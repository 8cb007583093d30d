"""The kit: what every feature's routes share, below the features: rendering and the shared page templates, CSRF,
the current user, the API's base models and error bodies, request fields, and the Feature declaration."""
