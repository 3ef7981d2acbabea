//! Tiny WAV (PCM S16LE) writer for audio sources of peers such as baresip's `aufile`.

use std::fs;
use std::io;
use std::path::Path;

/// Writes `samples` (interleaved when `channels` > 1) as a 16-bit PCM WAV file.
pub fn write_wav(path: &Path, sample_rate: u32, channels: u16, samples: &[i16]) -> io::Result<()> {
    let data_len = (samples.len() * 2) as u32;
    let mut out = Vec::with_capacity(44 + data_len as usize);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&channels.to_le_bytes());
    out.extend_from_slice(&sample_rate.to_le_bytes());
    out.extend_from_slice(&(sample_rate * channels as u32 * 2).to_le_bytes());
    out.extend_from_slice(&(channels * 2).to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for s in samples {
        out.extend_from_slice(&s.to_le_bytes());
    }
    fs::write(path, out)
}

/// Writes a sine tone of `freq` Hz at about -12 dBFS, `seconds` long.
pub fn write_sine_wav(
    path: &Path,
    sample_rate: u32,
    channels: u16,
    seconds: u32,
    freq: f64,
) -> io::Result<()> {
    let frames = (sample_rate * seconds) as usize;
    let mut samples = Vec::with_capacity(frames * channels as usize);
    for i in 0..frames {
        let t = i as f64 / sample_rate as f64;
        let v = (8192.0 * (2.0 * std::f64::consts::PI * freq * t).sin()) as i16;
        for _ in 0..channels {
            samples.push(v);
        }
    }
    write_wav(path, sample_rate, channels, &samples)
}

/// Reads a 16-bit PCM WAV file: `(sample_rate, channels, samples)`. Only the plain RIFF layout
/// written by baresip's sndfile and by [`write_wav`] is supported.
pub fn read_wav(path: &Path) -> io::Result<(u32, u16, Vec<i16>)> {
    let b = fs::read(path)?;
    let bad = |m: &str| io::Error::new(io::ErrorKind::InvalidData, m.to_string());
    if b.len() < 12 || &b[0..4] != b"RIFF" || &b[8..12] != b"WAVE" {
        return Err(bad("not a RIFF/WAVE file"));
    }
    let (mut rate, mut channels, mut pos) = (0u32, 0u16, 12usize);
    while pos + 8 <= b.len() {
        let id = &b[pos..pos + 4];
        let len = u32::from_le_bytes(b[pos + 4..pos + 8].try_into().unwrap()) as usize;
        let body = pos + 8;
        if id == b"fmt " && body + 16 <= b.len() {
            channels = u16::from_le_bytes([b[body + 2], b[body + 3]]);
            rate = u32::from_le_bytes(b[body + 4..body + 8].try_into().unwrap());
        } else if id == b"data" {
            // a file still being written may carry length 0 (header finalised at close)
            let end = if len == 0 {
                b.len()
            } else {
                (body + len).min(b.len())
            };
            let samples = b[body..end]
                .chunks_exact(2)
                .map(|c| i16::from_le_bytes([c[0], c[1]]))
                .collect();
            return Ok((rate, channels, samples));
        }
        pos = body + len + (len & 1);
    }
    Err(bad("no data chunk"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.wav");
        write_sine_wav(&p, 8000, 1, 1, 440.0).unwrap();
        let (r, c, s) = read_wav(&p).unwrap();
        assert_eq!((r, c, s.len()), (8000, 1, 8000));
        assert!(s.iter().any(|&v| v > 8000));
    }
}
