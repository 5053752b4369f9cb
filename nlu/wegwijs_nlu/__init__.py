"""Wegwijs' own Rasa components (loaded by Rasa from this folder: it runs with cwd nlu/)."""
