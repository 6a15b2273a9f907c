"""mtif: multi-grained text-guided image fusion, with reference-exact fusion metrics."""

__version__ = "0.1.0"
