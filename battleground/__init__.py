"""MNIST Battleground: train model variants under a budget, record every epoch, publish a site."""

__version__ = "0.1.0"
