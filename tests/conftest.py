import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# The cache of downloaded entries must never be the user's own in tests.
os.environ.setdefault("KERASGEN_CACHE", os.path.join(os.path.dirname(__file__), ".cache-never-used"))
