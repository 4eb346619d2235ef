"""The app's dialogs: settings, welcome (first run), the key entry they share, keyboard shortcuts."""
