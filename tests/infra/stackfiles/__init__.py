"""Readers for the files the stack is described in: Dockerfiles, shell scripts and Terraform expressions."""
