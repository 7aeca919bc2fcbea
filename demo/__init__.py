"""Demo traffic for a locally running system (`make run`)."""
