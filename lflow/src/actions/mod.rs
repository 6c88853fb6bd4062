//! actions (being written).
