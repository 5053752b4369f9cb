"""Tools around the Rasa NLU project in nlu/: train, serve and evaluate (`wegwijs nlu ...`)."""
