"""The declared kinds of import (one module each); ``imports/__init__`` registers them."""
