"""The login page (shown by ``app.py`` whenever nobody is logged in)."""
