"""``rltheory solve``: solve an MDP file and print a certified answer."""
