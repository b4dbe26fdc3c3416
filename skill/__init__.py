"""VoiceCart: a voice-commerce assistant backend."""
