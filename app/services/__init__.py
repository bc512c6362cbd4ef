"""Services: the only code that reads or writes the database; routes and the CLI call them."""
