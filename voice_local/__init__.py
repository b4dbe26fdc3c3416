"""The offline local voice loop: speech or text in, the same skill handler, speech out."""
