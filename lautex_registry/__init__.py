"""The customer register of Oy Lautex Ab."""

__version__ = "0.1.0"
