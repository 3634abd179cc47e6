"""`customer import`: many customers from a CSV file, one job per module.

- `reading`: the file's bytes to text (encodings, the line of a bad byte), the header
  (English and Finnish names, `--map`, `--ignore-extra`), the delimiter, and the raw
  text of whole records for the validators;
- `validating`: records to INSERT parameters, in a pool of worker processes for large
  files (and the pool's watchdog that ends the workers with the import);
- `storing`: checks against the register, staging outside the write lock, and the
  store in batches, each a short write transaction with its audit row;
- `runs`: the import run the batches belong to: resumed after a stop, undone as a
  whole, listed;
- `staging_file`: the private file on disk the good rows are staged in, removed
  however the import ends (and an abandoned one by the next import);
- `report`: what the import found, as the CLI prints it;
- `run`: the import as a whole, from a path or a stream to the report.

May import: `platform` and `records`.
"""
