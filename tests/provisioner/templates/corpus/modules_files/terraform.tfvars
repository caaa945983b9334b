project = "atlas"
