"""The rules of the domain, pure: the working-time calendar, a dossier's clock, the catalogue,
administrative units, the reference data's log, rating tokens. Imports only itself,
shared/events and shared/errors.py."""
