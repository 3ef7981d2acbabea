//! handset-store (being written).
