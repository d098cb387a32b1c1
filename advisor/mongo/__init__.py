"""The MongoDB engine: query shapes (IR), a static planner, explain parsing.

Nothing here imports tree-sitter or pymongo at module import time.
"""
