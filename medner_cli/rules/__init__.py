"""Deterministic rule layers that complement the model (Dosage spans)."""
