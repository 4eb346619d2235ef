"""Puts this folder on sys.path (pytest's prepend import mode), so every test folder can import the
helpers kept here, such as ``keyring_support``."""
