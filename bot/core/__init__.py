"""Pure core: no I/O, no awaiting. Engine, events, actions, safety rules, matching."""
