"""Storefronts: an exporter's public page with its profile, listings and verified trade record."""
