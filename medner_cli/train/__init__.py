"""Training and export (``pip install .[train]``): the only part of medner that imports torch."""
