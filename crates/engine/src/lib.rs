//! handset-engine (being written).
