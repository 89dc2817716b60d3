"""The only package that knows AMI and AGI wire formats."""
