"""Communes, former communes, named areas and their geometry."""
from .models import Area, AreaCommune, Commune, FormerCommune

__all__ = ["Area", "AreaCommune", "Commune", "FormerCommune"]
