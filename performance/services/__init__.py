"""Every state change of the performance app. Import from the submodules."""
