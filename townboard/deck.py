def build_deck(bundle, progress=None):
    raise NotImplementedError
