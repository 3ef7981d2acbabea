//! handset-transport (being written).
