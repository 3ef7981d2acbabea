//! RTCP (RFC 3550 section 6): packets, reception statistics, NTP time and the
//! transmission-interval scheduler.

mod ntp;
mod packet;
mod scheduler;
mod stats;

pub use ntp::{NtpClock, NtpTime};
pub use packet::{
    parse_compound, write_compound, App, Bye, ReceiverReport, ReportBlock, RtcpError, RtcpPacket,
    SdesChunk, SdesItem, SenderInfo, SenderReport, SourceDescription, SDES_CNAME,
};
pub use scheduler::RtcpScheduler;
pub use stats::{rtt_from_report, ReceptionStats, SeqUpdate};
