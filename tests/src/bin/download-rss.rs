//! Benchmark (not a test): memory stays flat while a large file streams up and down.
//!
//! Writes a file of `DRS_RSS_MB` MB (default 200) into the temp folder, then for the blocking
//! client and then the async client: `upload_path` it, `download_to_file` it back, checks the
//! copy (size and checksum), deletes the server's file, and prints the process's peak resident
//! memory (`VmHWM` from `/proc/self/status`) before and after each phase. The peak is reset
//! between phases (`5` into `/proc/self/clear_refs`), so each line shows that phase's own peak.
//!
//! Run it against a server (in release mode, as users would):
//!
//! ```sh
//! export DIRECTUS_RS_STATE=/tmp/drs-bench
//! bash tests/server/directus-server start && source /tmp/drs-bench/env
//! cargo run --release -q -p directus-tests --bin download-rss
//! DIRECTUS_RS_STATE=/tmp/drs-bench bash tests/server/directus-server stop
//! ```
//!
//! The server must accept the upload: multipart uploads are bounded by `FILES_MAX_UPLOAD_SIZE`
//! (unset, i.e. unlimited, in `tests/server/directus-server`), not by `MAX_PAYLOAD_SIZE` (JSON).
//! It exits non-zero if a copy differs or the peak grows by more than half the file's size.

use std::fs;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use directus_proto::assets::AssetTransform;
use directus_proto::files::StreamedFile;
use directus_proto::{Key, models::File};
use directus_tests::{Server, unique};

type Failure = Box<dyn std::error::Error>;

/// A field of `/proc/self/status`, in kB.
fn status_kb(field: &str) -> u64 {
    let status = fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn peak_mb() -> f64 {
    status_kb("VmHWM") as f64 / 1024.0
}

fn rss_mb() -> f64 {
    status_kb("VmRSS") as f64 / 1024.0
}

/// Resets the peak to the current resident size (Linux 4.0+; ignored where unsupported).
fn reset_peak() -> bool {
    fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// FNV-1a over a file, streamed.
fn checksum(path: &Path) -> io::Result<(u64, u64)> {
    let mut file = fs::File::open(path)?;
    let mut buf = vec![0u8; 1 << 20];
    let (mut hash, mut len) = (0xcbf2_9ce4_8422_2325u64, 0u64);
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok((hash, len));
        }
        len += n as u64;
        for &b in &buf[..n] {
            hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// A file of `mb` MB of varied bytes.
fn make_file(path: &Path, mb: u64) -> io::Result<()> {
    let mut out = BufWriter::new(fs::File::create(path)?);
    let mut block = vec![0u8; 1 << 20];
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    for _ in 0..mb {
        for chunk in block.chunks_mut(8) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            chunk.copy_from_slice(&state.to_le_bytes()[..chunk.len()]);
        }
        out.write_all(&block)?;
    }
    out.flush()
}

fn key_of(file: Option<File>) -> Result<String, Failure> {
    match file.and_then(|f| f.id) {
        Some(Key::Str(s)) => Ok(s),
        Some(Key::Int(n)) => Ok(n.to_string()),
        None => Err("the upload answered no file key".into()),
    }
}

/// One measured phase: prints the peak before and after, answers the growth in MB.
fn phase<T>(
    label: &str,
    bytes: u64,
    run: impl FnOnce() -> Result<T, Failure>,
) -> Result<(T, f64), Failure> {
    reset_peak();
    let (rss0, peak0) = (rss_mb(), peak_mb());
    let started = Instant::now();
    let value = run()?;
    let secs = started.elapsed().as_secs_f64();
    let peak1 = peak_mb();
    println!(
        "{label:<28} {:>7.1} MB in {secs:>6.2} s ({:>7.1} MB/s) | RSS before {rss0:>6.1} MB | peak before {peak0:>6.1} MB, after {peak1:>6.1} MB (+{:.1} MB)",
        bytes as f64 / 1048576.0,
        bytes as f64 / 1048576.0 / secs.max(1e-9),
        peak1 - peak0
    );
    Ok((value, peak1 - peak0))
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("download-rss: {err}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Failure> {
    let server = Server::try_from_env().map_err(|missing| {
        format!("{missing} is not set: start a server (see the header of this file)")
    })?;
    let mb: u64 = std::env::var("DRS_RSS_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let size = mb << 20;
    let dir: PathBuf = std::env::temp_dir().join(unique("drs-download-rss"));
    fs::create_dir_all(&dir)?;
    let source = dir.join("big.bin");
    make_file(&source, mb)?;
    let (expected, _) = checksum(&source)?;
    println!(
        "download-rss: {mb} MB file, server {}; peak reset between phases: {}",
        server.url,
        reset_peak()
    );
    println!("start: RSS {:.1} MB, peak {:.1} MB", rss_mb(), peak_mb());

    let mut worst = 0f64;
    let result = (|| -> Result<(), Failure> {
        // Blocking client.
        let directus = directus_blocking::Directus::login(
            &server.url,
            &server.admin_email,
            &server.admin_password,
        )?;
        // The last progress report: bytes done and the total (0 when unknown).
        let seen = Arc::new([AtomicU64::new(0), AtomicU64::new(0)]);
        let files = directus.files().on_progress({
            let seen = Arc::clone(&seen);
            move |p| {
                seen[0].store(p.done, Ordering::Relaxed);
                seen[1].store(p.total.unwrap_or(0), Ordering::Relaxed);
            }
        });
        let last = || {
            (
                seen[0].load(Ordering::Relaxed),
                seen[1].load(Ordering::Relaxed),
            )
        };
        let (id, grew) = phase("blocking upload_path", size, || {
            key_of(files.upload_path(&source, StreamedFile::new("big.bin"))?)
        })?;
        worst = worst.max(grew);
        // The upload counts the whole multipart body: the file plus its part headers.
        let (done, total) = last();
        if done != total || done <= size {
            return Err(format!("blocking upload progress ended at {done} of {total}").into());
        }
        let copy = dir.join("blocking-copy.bin");
        let (_, grew) = phase("blocking download_to_file", size, || {
            Ok(files.download_to_file(&id, &AssetTransform::new(), &copy)?)
        })?;
        worst = worst.max(grew);
        let (hash, len) = checksum(&copy)?;
        fs::remove_file(&copy)?;
        files.delete(id.as_str())?;
        if (hash, len) != (expected, size) {
            return Err(format!("blocking: the copy differs ({len} bytes)").into());
        }
        if last() != (size, size) {
            return Err(format!("blocking download progress ended at {:?}", last()).into());
        }

        // Async client.
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?;
        let directus = rt.block_on(directus_async::Directus::login(
            &server.url,
            &server.admin_email,
            &server.admin_password,
        ))?;
        let files = directus.files();
        let (id, grew) = phase("async upload_path", size, || {
            key_of(rt.block_on(files.upload_path(&source, StreamedFile::new("big.bin")))?)
        })?;
        worst = worst.max(grew);
        let copy = dir.join("async-copy.bin");
        let (_, grew) = phase("async download_to_file", size, || {
            Ok(rt.block_on(files.download_to_file(&id, &AssetTransform::new(), &copy))?)
        })?;
        worst = worst.max(grew);
        let (hash, len) = checksum(&copy)?;
        fs::remove_file(&copy)?;
        rt.block_on(files.delete(id.as_str()))?;
        if (hash, len) != (expected, size) {
            return Err(format!("async: the copy differs ({len} bytes)").into());
        }
        Ok(())
    })();
    let _ = fs::remove_dir_all(&dir);
    result?;
    println!(
        "end: RSS {:.1} MB; largest peak growth of a phase {worst:.1} MB for a {mb} MB file; copies byte-identical",
        rss_mb()
    );
    if worst > (mb as f64) / 2.0 {
        return Err(format!("memory grew by {worst:.1} MB: not streamed").into());
    }
    Ok(())
}
