//! Native retry with exponential backoff, the twin of `retry_with_backoff` in common.sh.
