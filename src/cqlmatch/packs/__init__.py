"""Rule packs: many CQL rules read from a manifest or a folder, compiled
once and run over the events in one pass (``model`` < ``sigma`` <
``sources``; ``routing`` < ``rules`` < ``run`` < ``matcher``, ``parallel`` <
``pack``)."""
