"""Core: where things live (`paths`) and crash-safe writes (`atomic`).

The bottom layer. It imports nothing from the rest of the project, so every other package may
import it. It holds no domain logic: no questions, tokens, models or Streamlit.
"""
