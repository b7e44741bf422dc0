"""socialsim: who should own a company's social media, and what it does to relationships and revenue."""

__version__ = "0.1.0"
