"""The model catalog: store, schema, sources and queries.

Nothing here imports torch, timm or torchvision at module level; the sources that need them
import them inside their loader functions.
"""
