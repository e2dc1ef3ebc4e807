"""Views of the API, one module per area. Views scope, validate, call one service, respond."""
