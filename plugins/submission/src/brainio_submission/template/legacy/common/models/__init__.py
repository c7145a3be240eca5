"""The models of this submission: base models in base_models.py, brain models in brain_models.py."""
