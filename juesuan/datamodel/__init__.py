"""Contracts between stages. No heavy imports here: numpy only."""
