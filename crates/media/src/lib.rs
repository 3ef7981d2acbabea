//! handset-media (being written).
