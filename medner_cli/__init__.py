"""medner: fast Chemical, Disease and Dosage annotation of clinical and biomedical text."""

__version__ = "0.1.0"
