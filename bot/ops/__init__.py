"""Running chanwatch unattended: metrics, the health listener, file checks, doctor."""
