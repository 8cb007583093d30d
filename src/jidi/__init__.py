"""jidi (寄递): a privacy-by-design express-delivery platform."""
