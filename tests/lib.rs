//! Integration tests against real daemons live in `integration/`; this library is empty.
