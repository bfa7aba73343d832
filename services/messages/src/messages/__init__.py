"""Messages service: the members' threads and the agents' queue: "Mes messages et mes réponses"."""
