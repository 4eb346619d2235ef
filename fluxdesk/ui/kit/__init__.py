"""The app's building blocks, shared by every feature and knowing none: theme, painted surfaces, forms,
lists and item-model bases, money and chart helpers, thumbnails, file dialogs, error reporting."""
