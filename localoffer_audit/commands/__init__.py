"""Click commands, one module per area. Each is a thin layer: parse options, call one
library function, format the answer. No SQL and no HTTP here."""
