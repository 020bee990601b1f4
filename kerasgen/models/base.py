"""Shared base class of every kerasgen model (being written)."""
import keras


class GenerativeModel(keras.Model):
    pass
