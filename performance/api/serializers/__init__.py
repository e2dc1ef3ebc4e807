"""Serializers of the API, one module per area. Read serializers shape responses; write
serializers only validate input and hand plain values to the services."""
