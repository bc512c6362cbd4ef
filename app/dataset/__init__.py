"""The dataset as the API serves it: islands, villages, depots, landing points, sea areas; sea
routes and matrices."""
