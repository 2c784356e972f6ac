"""What each CLI subcommand does, as functions of a composed config (tests call them directly)."""
