"""Reading, normalising and splitting documents, and writing them into the local index."""
