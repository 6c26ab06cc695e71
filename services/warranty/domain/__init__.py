"""Pure warranty rules: no I/O, no clocks (the caller passes `now`), no protobuf."""
