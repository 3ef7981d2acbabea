//! Call-quality estimate with the ITU-T G.107 E-model, simplified as is usual
//! for VoIP monitoring: only the delay (Id) and equipment/loss (Ie,eff)
//! impairments vary, everything else takes its default, so R = 93.2 - Id - Ie,eff.

/// Codec constants for the E-model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CodecImpairment {
    /// Equipment impairment factor Ie (0 = transparent).
    pub ie: f64,
    /// Packet-loss robustness factor Bpl (higher = more robust).
    pub bpl: f64,
    /// Look-ahead and processing delay beyond the packet time, ms.
    pub lookahead_ms: f64,
}

/// Impairment constants by SDP codec name.
///
/// G.711 values are those of ITU-T G.113 Appendix I (with PLC). G.722 and
/// Opus have no narrowband-scale values in G.113: they are given the G.711
/// Ie of 0 (no worse on this scale) and a Bpl reflecting their concealment
/// (G.722: waveform repetition as G.711; Opus: model-based PLC, close to the
/// 20-25 range reported for modern codecs). Unknown codecs are treated as G.711.
pub fn codec_impairment(name: &str) -> CodecImpairment {
    match name.to_ascii_lowercase().as_str() {
        "opus" => CodecImpairment {
            ie: 0.0,
            bpl: 20.0,
            lookahead_ms: 6.5,
        },
        "g722" => CodecImpairment {
            ie: 0.0,
            bpl: 25.1,
            lookahead_ms: 1.5,
        },
        _ => CodecImpairment {
            ie: 0.0,
            bpl: 25.1,
            lookahead_ms: 0.0,
        },
    }
}

/// The inputs the estimate needs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EModelInput {
    /// Codec constants.
    pub codec: CodecImpairment,
    /// Effective packet loss after FEC and jitter buffer, 0..=1.
    pub loss: f64,
    /// Burst ratio (1 for random loss).
    pub burst_ratio: f64,
    /// One-way mouth-to-ear delay, ms.
    pub delay_ms: f64,
}

/// The transmission rating R (0..=93.2 on this simplified scale).
pub fn r_factor(input: &EModelInput) -> f64 {
    let d = input.delay_ms.max(0.0);
    // Id as approximated by Cole and Rosenbluth for the default parameters
    let id = 0.024 * d + if d > 177.3 { 0.11 * (d - 177.3) } else { 0.0 };
    let ppl = (input.loss.clamp(0.0, 1.0)) * 100.0;
    let burst = input.burst_ratio.max(1.0);
    let ie = input.codec.ie;
    let ie_eff = ie + (95.0 - ie) * ppl / (ppl / burst + input.codec.bpl);
    (93.2 - id - ie_eff).clamp(0.0, 100.0)
}

/// MOS-CQE from R (G.107 Annex B).
pub fn mos_from_r(r: f64) -> f64 {
    if r <= 0.0 {
        1.0
    } else if r >= 100.0 {
        4.5
    } else {
        1.0 + 0.035 * r + r * (r - 60.0) * (100.0 - r) * 7e-6
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(loss: f64, delay_ms: f64) -> EModelInput {
        EModelInput {
            codec: codec_impairment("PCMU"),
            loss,
            burst_ratio: 1.0,
            delay_ms,
        }
    }

    #[test]
    fn reference_points() {
        let r = r_factor(&input(0.0, 0.0));
        assert!((r - 93.2).abs() < 1e-9);
        assert!((mos_from_r(r) - 4.41).abs() < 0.01);
        // 10 % random loss on G.711 with PLC: Ie,eff = 95*10/(10+25.1) = 27.07
        let r = r_factor(&input(0.1, 0.0));
        assert!((r - 66.13).abs() < 0.01, "{r}");
        assert!((mos_from_r(r) - 3.42).abs() < 0.02, "{}", mos_from_r(r));
        // 300 ms one way: Id = 7.2 + 0.11*122.7
        let r = r_factor(&input(0.0, 300.0));
        assert!((r - (93.2 - 7.2 - 13.497)).abs() < 0.01);
        assert_eq!(mos_from_r(-5.0), 1.0);
        assert_eq!(mos_from_r(120.0), 4.5);
    }

    #[test]
    fn more_impairment_lowers_mos() {
        let mut last = 5.0;
        for loss in [0.0, 0.01, 0.03, 0.1, 0.3] {
            let m = mos_from_r(r_factor(&input(loss, 100.0)));
            assert!(m < last);
            last = m;
        }
        let opus = EModelInput {
            codec: codec_impairment("opus"),
            ..input(0.05, 50.0)
        };
        assert!(r_factor(&opus) < r_factor(&input(0.0, 50.0)));
    }
}
