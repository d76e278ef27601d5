"""FuriosaAI RNGD NPUs through furiosa-smi."""
