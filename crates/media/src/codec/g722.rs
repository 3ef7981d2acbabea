//! G.722 at 64 kbit/s (ITU-T G.722 sub-band ADPCM), written from the
//! algorithm description of the standard as also followed by the public-domain
//! CMU / spandsp implementation.
//!
//! A 24-tap QMF splits 16 kHz audio into two 8 kHz sub-bands; the lower band
//! is coded with 6-bit ADPCM, the upper with 2-bit ADPCM, giving one byte per
//! pair of input samples. The RTP clock is 8000 Hz by RFC 3551's historical
//! mistake, so 20 ms is 320 samples, 160 bytes and 160 timestamp ticks.

use super::plc::Plc;
use super::{check_frame, check_out, AudioDecoder, AudioEncoder, CodecError, CodecInfo};

const QMF: [i32; 12] = [3, -11, 12, 32, -210, 951, 3876, -805, 362, -156, 53, -11];
const WL: [i32; 8] = [-60, -30, 58, 172, 334, 538, 1198, 3042];
const RL42: [usize; 16] = [0, 7, 6, 5, 4, 3, 2, 1, 7, 6, 5, 4, 3, 2, 1, 0];
const ILB: [i32; 32] = [
    2048, 2093, 2139, 2186, 2233, 2282, 2332, 2383, 2435, 2489, 2543, 2599, 2656, 2714, 2774, 2834,
    2896, 2960, 3025, 3091, 3158, 3228, 3298, 3371, 3444, 3520, 3597, 3676, 3756, 3838, 3922, 4008,
];
const WH: [i32; 3] = [0, -214, 798];
const RH2: [usize; 4] = [2, 1, 2, 1];
const QM2: [i32; 4] = [-7408, -1616, 7408, 1616];
const QM4: [i32; 16] = [
    0, -20456, -12896, -8968, -6288, -4240, -2584, -1200, 20456, 12896, 8968, 6288, 4240, 2584,
    1200, 0,
];
const QM6: [i32; 64] = [
    -136, -136, -136, -136, -24808, -21904, -19008, -16704, -14984, -13512, -12280, -11192, -10232,
    -9360, -8576, -7856, -7192, -6576, -6000, -5456, -4944, -4464, -4008, -3576, -3168, -2776,
    -2400, -2032, -1688, -1360, -1040, -728, 24808, 21904, 19008, 16704, 14984, 13512, 12280,
    11192, 10232, 9360, 8576, 7856, 7192, 6576, 6000, 5456, 4944, 4464, 4008, 3576, 3168, 2776,
    2400, 2032, 1688, 1360, 1040, 728, 432, 136, -432, -136,
];
// Encoder-only quantiser tables (low band decision levels and code maps).
const Q6: [i32; 32] = [
    0, 35, 72, 110, 150, 190, 233, 276, 323, 370, 422, 473, 530, 587, 650, 714, 786, 858, 940,
    1023, 1121, 1219, 1339, 1458, 1612, 1765, 1980, 2195, 2557, 2919, 0, 0,
];
const ILN: [i32; 32] = [
    0, 63, 62, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11,
    10, 9, 8, 7, 6, 5, 4, 0,
];
const ILP: [i32; 32] = [
    0, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47, 46, 45, 44, 43, 42, 41, 40, 39,
    38, 37, 36, 35, 34, 33, 32, 0,
];
const IHN: [i32; 3] = [0, 1, 0];
const IHP: [i32; 3] = [0, 3, 2];

#[inline]
fn sat(v: i32) -> i32 {
    v.clamp(i32::from(i16::MIN), i32::from(i16::MAX))
}

/// ADPCM predictor state of one sub-band (blocks 4L/4H of G.722).
#[derive(Debug, Clone, Default)]
struct Band {
    s: i32,
    sp: i32,
    sz: i32,
    r: [i32; 3],
    a: [i32; 3],
    ap: [i32; 3],
    p: [i32; 3],
    d: [i32; 7],
    b: [i32; 7],
    bp: [i32; 7],
    nb: i32,
    det: i32,
}

impl Band {
    fn new(det: i32) -> Self {
        Self {
            det,
            ..Self::default()
        }
    }

    /// Scale factor adaptation (LOGSCL/SCALEL, LOGSCH/SCALEH).
    fn adapt_scale(&mut self, w: i32, nb_max: i32, shift_base: i32) {
        self.nb = (((self.nb * 127) >> 7) + w).clamp(0, nb_max);
        let wd1 = ((self.nb >> 6) & 31) as usize;
        let wd2 = shift_base - (self.nb >> 11);
        let wd3 = if wd2 < 0 {
            ILB[wd1] << -wd2
        } else {
            ILB[wd1] >> wd2
        };
        self.det = wd3 << 2;
    }

    /// Block 4: reconstruction, pole/zero predictor adaptation and prediction.
    fn block4(&mut self, d: i32) {
        // RECONS, PARREC
        self.d[0] = d;
        self.r[0] = sat(self.s + d);
        self.p[0] = sat(self.sz + d);

        // UPPOL2: second pole coefficient, driven by sign agreement of p
        let sg0 = self.p[0] >> 15;
        let sg1 = self.p[1] >> 15;
        let sg2 = self.p[2] >> 15;
        let wd1 = sat(self.a[1] << 2);
        let wd2 = (if sg0 == sg1 { -wd1 } else { wd1 }).min(32767);
        let mut wd3 = (wd2 >> 7) + if sg0 == sg2 { 128 } else { -128 };
        wd3 += (self.a[2] * 32512) >> 15;
        self.ap[2] = wd3.clamp(-12288, 12288);

        // UPPOL1 and LIMC: first pole coefficient, kept inside the stability triangle
        let wd1 = if sg0 == sg1 { 192 } else { -192 };
        let wd2 = (self.a[1] * 32640) >> 15;
        let lim = sat(15360 - self.ap[2]);
        self.ap[1] = sat(wd1 + wd2).clamp(-lim, lim);

        // UPZERO: six zero coefficients
        let step = if d == 0 { 0 } else { 128 };
        let sgd = d >> 15;
        for i in 1..7 {
            let wd2 = if (self.d[i] >> 15) == sgd {
                step
            } else {
                -step
            };
            let wd3 = (self.b[i] * 32640) >> 15;
            self.bp[i] = sat(wd2 + wd3);
        }

        // DELAYA
        for i in (1..7).rev() {
            self.d[i] = self.d[i - 1];
            self.b[i] = self.bp[i];
        }
        for i in (1..3).rev() {
            self.r[i] = self.r[i - 1];
            self.p[i] = self.p[i - 1];
            self.a[i] = self.ap[i];
        }

        // FILTEP: pole section
        let wd1 = (self.a[1] * sat(self.r[1] + self.r[1])) >> 15;
        let wd2 = (self.a[2] * sat(self.r[2] + self.r[2])) >> 15;
        self.sp = sat(wd1 + wd2);

        // FILTEZ: zero section
        let mut sz = 0;
        for i in (1..7).rev() {
            sz += (self.b[i] * sat(self.d[i] + self.d[i])) >> 15;
        }
        self.sz = sat(sz);

        // PREDIC
        self.s = sat(self.sp + self.sz);
    }
}

fn info(payload_type: u8, ptime_ms: u32) -> Result<CodecInfo, CodecError> {
    if ptime_ms == 0 || ptime_ms > 120 {
        return Err(CodecError::UnsupportedPtime(ptime_ms));
    }
    Ok(CodecInfo {
        name: "G722",
        payload_type,
        sample_rate: 16000,
        clock_rate: 8000,
        ptime_ms,
    })
}

/// G.722 64 kbit/s encoder.
#[derive(Debug, Clone)]
pub struct G722Encoder {
    info: CodecInfo,
    low: Band,
    high: Band,
    x: [i32; 24],
}

impl G722Encoder {
    /// A new encoder with the reset state of the standard.
    pub fn new(payload_type: u8, ptime_ms: u32) -> Result<Self, CodecError> {
        Ok(Self {
            info: info(payload_type, ptime_ms)?,
            low: Band::new(32),
            high: Band::new(8),
            x: [0; 24],
        })
    }

    fn encode_pair(&mut self, s0: i16, s1: i16) -> u8 {
        // transmit QMF: keep 24 input samples, output one low and one high band sample
        self.x.copy_within(2.., 0);
        self.x[22] = i32::from(s0);
        self.x[23] = i32::from(s1);
        let mut sum_odd = 0;
        let mut sum_even = 0;
        for i in 0..12 {
            sum_odd += self.x[2 * i] * QMF[i];
            sum_even += self.x[2 * i + 1] * QMF[11 - i];
        }
        // 12 bits of filter gain, 1 for summing two filters, 1 for 15-bit input
        let xlow = (sum_even + sum_odd) >> 14;
        let xhigh = (sum_even - sum_odd) >> 14;

        // low band: SUBTRA, QUANTL
        let el = sat(xlow - self.low.s);
        let wd = if el >= 0 { el } else { -(el + 1) };
        let mut i = 1;
        while i < 30 && wd >= (Q6[i] * self.low.det) >> 12 {
            i += 1;
        }
        let ilow = if el < 0 { ILN[i] } else { ILP[i] };
        // INVQAL with the 4-bit truncated code, as the decoder's predictor sees it
        let ril = (ilow >> 2) as usize;
        let dlow = (self.low.det * QM4[ril]) >> 15;
        self.low.adapt_scale(WL[RL42[ril]], 18432, 8);
        self.low.block4(dlow);

        // high band: SUBTRA, QUANTH, INVQAH
        let eh = sat(xhigh - self.high.s);
        let wd = if eh >= 0 { eh } else { -(eh + 1) };
        let mih = if wd >= (564 * self.high.det) >> 12 {
            2
        } else {
            1
        };
        let ihigh = if eh < 0 { IHN[mih] } else { IHP[mih] };
        let dhigh = (self.high.det * QM2[ihigh as usize]) >> 15;
        self.high.adapt_scale(WH[RH2[ihigh as usize]], 22528, 10);
        self.high.block4(dhigh);

        ((ihigh << 6) | ilow) as u8
    }
}

impl AudioEncoder for G722Encoder {
    fn info(&self) -> &CodecInfo {
        &self.info
    }

    fn encode(&mut self, pcm: &[i16], out: &mut [u8]) -> Result<usize, CodecError> {
        check_frame(&self.info, pcm)?;
        let n = pcm.len() / 2;
        check_out(n, out)?;
        for (pair, o) in pcm.chunks_exact(2).zip(out.iter_mut()) {
            *o = self.encode_pair(pair[0], pair[1]);
        }
        Ok(n)
    }
}

/// G.722 64 kbit/s decoder with waveform-repetition concealment.
#[derive(Debug, Clone)]
pub struct G722Decoder {
    info: CodecInfo,
    low: Band,
    high: Band,
    x: [i32; 24],
    plc: Plc,
}

impl G722Decoder {
    /// A new decoder with the reset state of the standard.
    pub fn new(payload_type: u8, ptime_ms: u32) -> Result<Self, CodecError> {
        Ok(Self {
            info: info(payload_type, ptime_ms)?,
            low: Band::new(32),
            high: Band::new(8),
            x: [0; 24],
            plc: Plc::new(16000),
        })
    }

    fn decode_byte(&mut self, code: u8, out: &mut [i16]) {
        let code = i32::from(code);
        let ilow6 = (code & 0x3F) as usize;
        let ihigh = ((code >> 6) & 0x03) as usize;

        // low band: INVQBL, RECONS, LIMIT with the full 6-bit code
        let rlow = (self.low.s + ((self.low.det * QM6[ilow6]) >> 15)).clamp(-16384, 16383);
        // the predictor only ever sees the 4-bit code (embedded coding)
        let ril = ilow6 >> 2;
        let dlow = (self.low.det * QM4[ril]) >> 15;
        self.low.adapt_scale(WL[RL42[ril]], 18432, 8);
        self.low.block4(dlow);

        // high band
        let dhigh = (self.high.det * QM2[ihigh]) >> 15;
        let rhigh = (dhigh + self.high.s).clamp(-16384, 16383);
        self.high.adapt_scale(WH[RH2[ihigh]], 22528, 10);
        self.high.block4(dhigh);

        // receive QMF
        self.x.copy_within(2.., 0);
        self.x[22] = rlow + rhigh;
        self.x[23] = rlow - rhigh;
        let mut xout1 = 0;
        let mut xout2 = 0;
        for i in 0..12 {
            xout2 += self.x[2 * i] * QMF[i];
            xout1 += self.x[2 * i + 1] * QMF[11 - i];
        }
        out[0] = sat(xout1 >> 11) as i16;
        out[1] = sat(xout2 >> 11) as i16;
    }
}

impl AudioDecoder for G722Decoder {
    fn info(&self) -> &CodecInfo {
        &self.info
    }

    fn decode(&mut self, payload: &[u8], out: &mut [i16]) -> Result<usize, CodecError> {
        let n = payload.len() * 2;
        check_out(n, out)?;
        for (b, o) in payload.iter().zip(out.chunks_exact_mut(2)) {
            self.decode_byte(*b, o);
        }
        self.plc.good_frame(&mut out[..n]);
        Ok(n)
    }

    fn conceal(&mut self, out: &mut [i16]) -> usize {
        self.plc.conceal(out);
        out.len()
    }

    fn comfort_noise(&mut self, out: &mut [i16]) -> usize {
        out.fill(0);
        self.plc.good_frame(out);
        out.len()
    }

    fn samples_in(&self, payload: &[u8]) -> Option<usize> {
        Some(payload.len() * 2)
    }

    fn reset(&mut self) {
        self.low = Band::new(32);
        self.high = Band::new(8);
        self.x = [0; 24];
        self.plc.reset();
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// SNR in dB of `got` against `want`, at the best alignment within `max_lag`.
    pub(crate) fn snr_db(want: &[i16], got: &[i16], max_lag: usize) -> f64 {
        (0..=max_lag)
            .map(|lag| {
                let n = want.len().min(got.len().saturating_sub(lag));
                let mut sig = 0f64;
                let mut err = 0f64;
                for i in 0..n {
                    let w = f64::from(want[i]);
                    sig += w * w;
                    err += (w - f64::from(got[i + lag])).powi(2);
                }
                10.0 * (sig / err.max(1e-9)).log10()
            })
            .fold(f64::MIN, f64::max)
    }

    fn tone(n: usize, f: f64, amp: f64) -> Vec<i16> {
        (0..n)
            .map(|i| ((2.0 * std::f64::consts::PI * f * i as f64 / 16000.0).sin() * amp) as i16)
            .collect()
    }

    fn run(enc: &mut G722Encoder, dec: &mut G722Decoder, pcm: &[i16]) -> Vec<i16> {
        let mut out = Vec::new();
        let mut bytes = [0u8; 160];
        let mut frame = [0i16; 320];
        for chunk in pcm.chunks_exact(320) {
            let n = enc.encode(chunk, &mut bytes).unwrap();
            assert_eq!(n, 160);
            let m = dec.decode(&bytes[..n], &mut frame).unwrap();
            out.extend_from_slice(&frame[..m]);
        }
        out
    }

    #[test]
    fn sine_snr_above_20_db() {
        for f in [300.0, 1000.0, 3000.0, 6000.0] {
            let pcm = tone(16000, f, 10000.0);
            let mut e = G722Encoder::new(9, 20).unwrap();
            let mut d = G722Decoder::new(9, 20).unwrap();
            let out = run(&mut e, &mut d, &pcm);
            // skip the adaptation transient; the QMF pair delays by 22 samples
            let snr = snr_db(&pcm[1600..15000], &out[1600..], 40);
            eprintln!("G.722 {f} Hz SNR {snr:.1} dB");
            assert!(snr > 20.0, "{f} Hz: {snr:.1} dB");
        }
    }

    #[test]
    fn tandem_round_trip_is_stable() {
        let pcm: Vec<i16> = tone(16000, 440.0, 8000.0)
            .iter()
            .zip(tone(16000, 2500.0, 4000.0))
            .map(|(a, b)| a + b)
            .collect();
        let mut e1 = G722Encoder::new(9, 20).unwrap();
        let mut d1 = G722Decoder::new(9, 20).unwrap();
        let gen1 = run(&mut e1, &mut d1, &pcm);
        let mut e2 = G722Encoder::new(9, 20).unwrap();
        let mut d2 = G722Decoder::new(9, 20).unwrap();
        let gen2 = run(&mut e2, &mut d2, &gen1);
        let snr1 = snr_db(&pcm[1600..15000], &gen1[1600..], 40);
        let snr2 = snr_db(&pcm[1600..14000], &gen2[1600..], 80);
        eprintln!("G.722 tandem: 1st {snr1:.1} dB, 2nd {snr2:.1} dB");
        assert!(snr2 > 17.0 && snr2 <= snr1 + 0.5);
    }

    #[test]
    fn silence_stays_quiet_and_garbage_never_panics() {
        let mut e = G722Encoder::new(9, 20).unwrap();
        let mut d = G722Decoder::new(9, 20).unwrap();
        let out = run(&mut e, &mut d, &[0i16; 3200]);
        assert!(out.iter().all(|s| s.abs() < 64));
        // every byte value, repeated, and a pseudo-random stream, at full scale
        let mut frame = [0i16; 320];
        let mut x = 12345u32;
        for round in 0..2000 {
            let bytes: Vec<u8> = (0..160)
                .map(|_| {
                    x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                    if round < 256 {
                        round as u8
                    } else {
                        (x >> 16) as u8
                    }
                })
                .collect();
            d.decode(&bytes, &mut frame).unwrap();
        }
        let full: Vec<i16> = (0..3200)
            .map(|i| if i % 2 == 0 { i16::MAX } else { i16::MIN })
            .collect();
        run(&mut e, &mut d, &full);
    }

    #[test]
    fn framing() {
        let e = G722Encoder::new(9, 30).unwrap();
        assert_eq!(e.info().frame_samples(), 480);
        assert_eq!(e.info().frame_ticks(), 240);
        assert_eq!(e.info().samples_to_ticks(320), 160);
    }
}
