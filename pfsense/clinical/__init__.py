"""What the product knows of the clinic: techniques and zones, default doses and their
sources (DOMAIN.md), foot sizes, and adherence to a plan of sessions."""
