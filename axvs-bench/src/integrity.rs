//! `axvs-bench integrity`: what a session's certificate costs. The SHA-256 of a 1080p video against the CPU
//! its encoding took (hashing the bytes as they are written, as the encoder's I/O does, and reading the
//! finished file again, as sealing does for a Matroska file), and `axvs verify`'s read rate against
//! `sha256sum` on the same file.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use axvs_core::SYNTHETIC_PERIOD;
use axvs_encode::{Codec, EncoderSettings, FfmpegEncoder};
use axvs_session::certificate::hash_file;
use sha2::{Digest, Sha256};

use super::{bench_error, measure, BenchError, BenchSize};

/// Arguments of `axvs-bench integrity`.
#[derive(Debug, clap::Args)]
pub struct IntegrityArgs {
    /// Sizes encoded with the rig's default encoder (comma-separated WIDTHxHEIGHT:FORMAT).
    #[arg(long, value_delimiter = ',', default_value = "1920x1080:mono8,1920x1080:bgr8")]
    sizes: Vec<BenchSize>,
    /// Frames encoded per size (at 30 fps: 10 s of video).
    #[arg(long, default_value_t = 300)]
    frames: u64,
    /// Size of the file `axvs verify`'s hashing and `sha256sum` both read, in MiB.
    #[arg(long, default_value_t = 512)]
    verify_mib: u64,
    /// Alternating runs of each reader (medians are reported).
    #[arg(long, default_value_t = 3)]
    runs: usize,
}

/// Runs the benchmark.
pub fn run(args: IntegrityArgs) -> Result<(), BenchError> {
    if args.frames == 0 || args.runs == 0 || args.verify_mib == 0 {
        return Err(BenchError::Argument(
            "--frames, --runs and --verify-mib must be at least 1".into(),
        ));
    }
    let work = tempfile::tempdir().map_err(|source| BenchError::Io {
        path: "temporary directory".into(),
        source,
    })?;
    // The rig's default encoder, and lossless FFV1: the most bytes per unit of encoding work, so the
    // largest share hashing can take.
    let lossless = EncoderSettings {
        codec: Codec::Ffv1,
        ..EncoderSettings::default()
    };
    outln!(
        "axvs-bench integrity: SHA-256 of each video against its encoding ({} frames, CPU time of this process)",
        args.frames
    );
    outln!("size, encoder                     encode ms/frame  hash as written  share  hash re-read  share  MB/frame");
    for size in &args.sizes {
        for settings in [EncoderSettings::default(), lossless.clone()] {
            hashing_against_encoding(&settings, *size, args.frames, work.path())?;
        }
    }
    verify_rate(&args, work.path())
}

fn hashing_against_encoding(
    settings: &EncoderSettings,
    size: BenchSize,
    frames: u64,
    dir: &Path,
) -> Result<(), BenchError> {
    let path = dir.join(format!(
        "{}x{}-{}-{:?}.{}",
        size.width,
        size.height,
        size.format,
        settings.codec,
        settings.container().extension()
    ));
    let (camera, info, mut held) = crate::compare::held_frames(size, 30.0, frames)?;
    let cpu0 = measure::self_cpu();
    let mut encoder = FfmpegEncoder::create(settings, &path, &info).map_err(|e| bench_error("encoder", e))?;
    let period = Duration::from_secs_f64(1.0 / info.fps);
    for i in 0..frames {
        let frame = &mut held[(i % SYNTHETIC_PERIOD) as usize];
        camera.stamp(i, frame);
        encoder
            .encode_raw(frame, (period * i as u32).as_micros() as u64 + 1)
            .map_err(|e| bench_error("encoder", e))?;
    }
    encoder.finish_file().map_err(|e| bench_error("encoder", e))?;
    let encode = measure::self_cpu() - cpu0;
    // As written: the same bytes hashed in memory, what the encoder's I/O adds to each write (its share of
    // the encoding CPU above, which includes it).
    let bytes = std::fs::read(&path).map_err(|source| BenchError::Io {
        path: path.display().to_string(),
        source,
    })?;
    let cpu0 = measure::self_cpu();
    let in_memory = Sha256::digest(&bytes);
    let as_written = measure::self_cpu() - cpu0;
    // Re-read: the finished file read again and hashed, as sealing does (from the page cache here).
    let cpu0 = measure::self_cpu();
    let reread = hash_file(&path).map_err(|e| bench_error("hashing", e))?;
    let reread_cpu = measure::self_cpu() - cpu0;
    debug_assert_eq!(reread.bytes as usize, bytes.len());
    std::hint::black_box(in_memory);
    let per_frame = |d: Duration| d.as_secs_f64() * 1e3 / frames as f64;
    let share = |d: Duration| 100.0 * d.as_secs_f64() / encode.as_secs_f64().max(1e-9);
    outln!(
        "{:<33} {:>15.2}  {:>12.4} ms  {:>4.2} %  {:>9.4} ms  {:>4.2} %  {:>8.3}",
        format!(
            "{}x{} {}, {} {}",
            size.width,
            size.height,
            size.format,
            settings.encoder_name().unwrap_or("?"),
            settings.preset.cpu_name()
        ),
        per_frame(encode),
        per_frame(as_written),
        share(as_written),
        per_frame(reread_cpu),
        share(reread_cpu),
        bytes.len() as f64 / 1e6 / frames as f64
    );
    std::fs::remove_file(&path).map_err(|source| BenchError::Io {
        path: path.display().to_string(),
        source,
    })
}

/// `axvs verify`'s hashing against `sha256sum` on one file, from the page cache (both bound by the CPU) and
/// from the disk (the file's cached pages dropped before each read).
fn verify_rate(args: &IntegrityArgs, dir: &Path) -> Result<(), BenchError> {
    let path = dir.join("verify.bin");
    let mib = 1 << 20;
    // Content that no layer can compress or skip.
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let block: Vec<u8> = (0..mib)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect();
    {
        use std::io::Write;
        let io = |source| BenchError::Io {
            path: path.display().to_string(),
            source,
        };
        let mut file = std::io::BufWriter::new(std::fs::File::create(&path).map_err(io)?);
        for i in 0..args.verify_mib {
            file.write_all(&block[(i as usize % 64)..]).map_err(io)?;
            file.write_all(&block[..(i as usize % 64)]).map_err(io)?;
        }
        file.flush().map_err(io)?;
    }
    // From the page cache (both bound by the CPU), then from the disk (each file's pages dropped first).
    for cold in [false, true] {
        let (mut ours, mut theirs) = (Vec::new(), Vec::new());
        let mut digests = (String::new(), String::new());
        for _ in 0..args.runs {
            if cold {
                evict(&path)?;
            }
            let start = Instant::now();
            digests.0 = hash_file(&path).map_err(|e| bench_error("hashing", e))?.sha256;
            ours.push(start.elapsed());
            if cold {
                evict(&path)?;
            }
            let start = Instant::now();
            let out = Command::new("sha256sum")
                .arg(&path)
                .output()
                .map_err(|e| bench_error("sha256sum", e))?;
            theirs.push(start.elapsed());
            if !out.status.success() {
                return Err(bench_error("sha256sum", String::from_utf8_lossy(&out.stderr)));
            }
            digests.1 = String::from_utf8_lossy(&out.stdout)
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_string();
        }
        if digests.0 != digests.1 {
            return Err(BenchError::Failed(format!(
                "axvs' SHA-256 {} differs from sha256sum's {}",
                digests.0, digests.1
            )));
        }
        let rate = |times: &mut Vec<Duration>| {
            times.sort();
            args.verify_mib as f64 / times[times.len() / 2].as_secs_f64()
        };
        let (ours, theirs) = (rate(&mut ours), rate(&mut theirs));
        outln!(
            "verify's hashing: {ours:.0} MiB/s, sha256sum: {theirs:.0} MiB/s on the same {} MiB file ({}; median \
             of {}): {:.2}x",
            args.verify_mib,
            if cold { "from the disk" } else { "page cache" },
            args.runs,
            ours / theirs
        );
    }
    std::fs::remove_file(&path).map_err(|source| BenchError::Io {
        path: path.display().to_string(),
        source,
    })
}

/// Drops `path`'s pages from the page cache (written back first), so that the next read comes from the disk.
fn evict(path: &Path) -> Result<(), BenchError> {
    use std::os::fd::AsRawFd;
    let file = std::fs::File::open(path).map_err(|source| BenchError::Io {
        path: path.display().to_string(),
        source,
    })?;
    file.sync_all().map_err(|source| BenchError::Io {
        path: path.display().to_string(),
        source,
    })?;
    // SAFETY: advice on an open file descriptor; no memory is touched.
    let ret = unsafe { libc::posix_fadvise(file.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
    if ret != 0 {
        return Err(bench_error(
            "dropping the file from the page cache",
            std::io::Error::from_raw_os_error(ret),
        ));
    }
    Ok(())
}
