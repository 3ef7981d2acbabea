//! Bodies of the event packages and messaging formats Handset speaks.

pub mod cpim;
pub mod dialog_info;
pub mod imdn;
pub mod message_summary;
pub mod park;
pub mod pidf;
pub mod sipfrag;
pub mod time;
pub mod xml;
